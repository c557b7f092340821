"""Protocol-faithful local servers for the APIs benchlab speaks (Ollama, vLLM, RunPod) and for transport faults."""
