"""The 30 problem templates of ``gsm-symbolic-30``, written for benchlab.

Each template draws its names and numbers from a ``Draw``, refuses draws that would make
the problem ambiguous (``require``: shares that do not divide, counts that go negative,
money that is not whole dollars), and returns ``(question, answer, unit)`` with the answer
computed from the drawn values. The ids (``GS01`` ... ``GS30``) are part of every
scenario id, so they never change meaning: a changed template gets a new id and the
pack a new version.
"""

from __future__ import annotations

from fractions import Fraction

from benchlab.packs.gsm_symbolic.draws import Draw, Template, require

DOLLARS = "dollars"


def notebooks_and_change(d: Draw):
    who, a, p, b, q = d.name(), d.int(2, 9), d.int(2, 12), d.int(2, 9), d.int(1, 5)
    bill = d.pick(("20", "50", "100"))
    cost = a * p + b * q
    require(cost < int(bill))
    return (f"{who} buys {a} notebooks at ${p} each and {b} pens at ${q} each, and pays with a ${bill} bill. "
            f"How much change, in dollars, does {who} get back?", int(bill) - cost, DOLLARS)


def stickers_to_friends(d: Draw):
    who, n, k, m = d.name(), d.int(40, 200), d.int(3, 12), d.int(2, 8)
    require(n - k * m > 0)
    return (f"{who} has {n} stickers and gives {k} stickers to each of {m} friends. "
            f"How many stickers does {who} have left?", n - k * m, "stickers")


def two_speed_trip(d: Draw):
    vehicle = d.pick(("bus", "train", "truck", "car"))
    s1, h1, s2, h2 = d.int(40, 90, 5), d.int(2, 5), d.int(30, 80, 5), d.int(2, 4)
    require(s1 != s2)
    return (f"A {vehicle} travels at {s1} km per hour for {h1} hours, then at {s2} km per hour for {h2} hours. "
            f"How many kilometres does it travel in total?", s1 * h1 + s2 * h2, "km")


def discounted_jacket(d: Draw):
    item, price, pct = d.pick(("jacket", "bicycle", "lamp", "backpack")), d.int(20, 300, 4), d.pick(("10", "20", "25", "40", "50"))
    sale = Fraction(price) * (100 - int(pct)) / 100
    return (f"A {item} costs ${price}. The shop takes {pct}% off its price. "
            f"How many dollars does the {item} cost after the discount?", sale, DOLLARS)


def ages_in_future(d: Draw):
    older, younger, gap, years = d.name(), d.name(), d.int(2, 15), d.int(2, 10)
    then = d.int(gap + years + 1, 60)
    return (f"{older} is {gap} years older than {younger}. In {years} years, {older} will be {then} years old. "
            f"How old is {younger} now?", then - years - gap, "years")


def scaled_recipe(d: Draw):
    who, cups, batch, times = d.name(), d.int(2, 6), d.int(12, 36, 6), d.int(2, 6)
    return (f"A recipe uses {cups} cups of flour to make {batch} cookies. {who} wants to make {batch * times} cookies. "
            f"How many cups of flour does {who} need?", cups * times, "cups")


def garden_beds(d: Draw):
    rows, per_row, died, beds = d.int(4, 12), d.int(6, 15), d.int(1, 20), d.int(2, 6)
    left = rows * per_row - died
    require(left > 0 and left % beds == 0)
    return (f"A gardener plants {rows} rows of tomato plants with {per_row} plants in each row. {died} of the plants die. "
            f"The rest are moved equally into {beds} beds. How many plants go into each bed?", Fraction(left, beds), "plants")


def weeks_of_saving(d: Draw):
    who, item, weekly, has = d.name(), d.pick(("guitar", "tablet", "telescope", "scooter")), d.int(5, 30), d.int(0, 60)
    price = d.int(80, 400)
    require(price > has and (price - has) % weekly == 0)
    return (f"{who} wants a {item} that costs ${price}. {who} already has ${has} and saves ${weekly} every week. "
            f"How many weeks will it take {who} to have exactly enough?", Fraction(price - has, weekly), "weeks")


def finish_the_book(d: Draw):
    who, pages, a, days, b = d.name(), d.int(150, 600), d.int(10, 40), d.int(2, 7), d.int(15, 60)
    left = pages - a * days
    require(left > 0 and left % b == 0)
    return (f"{who}'s book has {pages} pages. {who} reads {a} pages a day for {days} days, then {b} pages a day. "
            f"How many more days does {who} need to finish the book?", Fraction(left, b), "days")


def fruit_stand_profit(d: Draw):
    who, apples, ap, oranges, op, costs = d.name(), d.int(10, 60), d.int(1, 3), d.int(10, 60), d.int(1, 4), d.int(20, 150)
    revenue = apples * ap + oranges * op
    require(revenue > costs)
    return (f"{who} sells {apples} apples at ${ap} each and {oranges} oranges at ${op} each. "
            f"The fruit cost {who} ${costs}. How many dollars of profit does {who} make?", revenue - costs, DOLLARS)


def groups_of_present_students(d: Draw):
    students, k, size = d.int(20, 40), d.int(4, 10), d.int(2, 6)
    require(students % k == 0)
    present = students - students // k
    require(present % size == 0)
    return (f"A class has {students} students. One in every {k} students is absent today. The students who are present "
            f"work in groups of {size}. How many groups are there?", Fraction(present, size), "groups")


def weekly_wages(d: Draw):
    who, hours, days, rate, weeks = d.name(), d.int(3, 9), d.int(2, 6), d.int(9, 25), d.int(2, 5)
    return (f"{who} works {hours} hours a day, {days} days a week, and earns ${rate} an hour. "
            f"How many dollars does {who} earn in {weeks} weeks?", hours * days * rate * weeks, DOLLARS)


def filling_tank(d: Draw):
    capacity, start, rate = d.int(200, 1200, 10), d.int(0, 150, 10), d.int(5, 40, 5)
    require(capacity > start and (capacity - start) % rate == 0)
    return (f"A water tank holds {capacity} litres and already has {start} litres in it. A pump adds {rate} litres "
            f"every minute. How many minutes until the tank is full?", Fraction(capacity - start, rate), "minutes")


def marbles_three_friends(d: Draw):
    a, b, c = d.name(), d.name(), d.name()
    x, k, m = d.int(5, 30), d.int(2, 5), d.int(1, 25)
    require(k * x - m > 0)
    return (f"{a} has {x} marbles. {b} has {k} times as many marbles as {a}. {c} has {m} fewer marbles than {b}. "
            f"How many marbles do the three of them have together?", x + k * x + (k * x - m), "marbles")


def family_tickets(d: Draw):
    place, adult, child = d.pick(("museum", "zoo", "aquarium", "theme park")), d.int(8, 40), d.int(3, 20)
    adults, children = d.int(2, 4), d.int(2, 5)
    require(child < adult)
    return (f"Tickets to the {place} cost ${adult} for an adult and ${child} for a child. A family of {adults} adults and "
            f"{children} children buys tickets. How many dollars do they pay?", adults * adult + children * child, DOLLARS)


def pizza_slices_left(d: Draw):
    pizzas, slices, people, each = d.int(2, 8), d.pick(("6", "8", "10", "12")), d.int(3, 12), d.int(2, 4)
    left = pizzas * int(slices) - people * each
    require(left > 0)
    return (f"There are {pizzas} pizzas, each cut into {slices} slices. {people} people each eat {each} slices. "
            f"How many slices are left?", left, "slices")


def fencing_cost(d: Draw):
    length, width, price = d.int(5, 40), d.int(3, 30), d.int(2, 15)
    require(length != width)
    return (f"A rectangular garden is {length} metres long and {width} metres wide. Fencing costs ${price} per metre. "
            f"How many dollars does it cost to fence all the way around the garden?", 2 * (length + width) * price, DOLLARS)


def parking_fee(d: Draw):
    first, extra, hours = d.int(3, 10), d.int(1, 6), d.int(2, 9)
    return (f"A car park charges ${first} for the first hour and ${extra} for each hour after that. A car is parked for "
            f"{hours} hours. How many dollars is the fee?", first + extra * (hours - 1), DOLLARS)


def bus_stops(d: Draw):
    start, off1, on1 = d.int(10, 50), d.int(1, 15), d.int(1, 20)
    after = start - off1 + on1
    require(start > off1 and after % 2 == 0)
    return (f"A bus leaves with {start} passengers. At the first stop {off1} people get off and {on1} get on. At the second "
            f"stop half of the passengers get off and nobody gets on. How many passengers are on the bus now?",
            Fraction(after, 2), "passengers")


def fourth_test_score(d: Draw):
    who, s1, s2, s3, average = d.name(), d.int(60, 100), d.int(60, 100), d.int(60, 100), d.int(70, 95)
    needed = 4 * average - (s1 + s2 + s3)
    require(0 < needed <= 100)
    return (f"{who} scored {s1}, {s2} and {s3} on three tests. What must {who} score on the fourth test for the average "
            f"of the four tests to be exactly {average}?", needed, "points")


def laps_in_kilometres(d: Draw):
    who, laps, track, days = d.name(), d.int(2, 12), d.pick(("200", "250", "400", "500")), d.int(2, 10)
    metres = laps * int(track) * days
    return (f"{who} runs {laps} laps of a {track}-metre track every day for {days} days. "
            f"How many kilometres does {who} run in total?", Fraction(metres, 1000), "km")


def girls_by_ratio(d: Draw):
    boys, girls, total = d.int(1, 5), d.int(1, 5), d.int(20, 60)
    require(boys != girls and total % (boys + girls) == 0)
    return (f"A school club has {total} members, and the ratio of boys to girls is {boys}:{girls}. "
            f"How many girls are in the club?", Fraction(total * girls, boys + girls), "girls")


def egg_cartons(d: Draw):
    who, hens, eggs, price = d.name(), d.int(3, 24), d.int(1, 2), d.int(2, 6)
    weekly = hens * eggs * 7
    require(weekly % 12 == 0)
    return (f"{who}'s {hens} hens each lay {eggs} egg{'s' if eggs > 1 else ''} a day. {who} sells the eggs in cartons of 12 "
            f"for ${price} a carton. How many dollars does {who} make from one week of eggs?", Fraction(weekly, 12) * price, DOLLARS)


def painting_together(d: Draw):
    a, b, x, y, days = d.name(), d.name(), d.int(2, 9), d.int(2, 9), d.int(2, 8)
    return (f"{a} paints {x} fence panels a day and {b} paints {y} fence panels a day. They work together for {days} days. "
            f"How many fence panels do they paint?", (x + y) * days, "panels")


def stamps_from_japan(d: Draw):
    who, total, pct, k = d.name(), d.int(40, 400, 10), d.pick(("20", "25", "30", "40", "60")), d.int(2, 6)
    foreign = Fraction(total * int(pct), 100)
    require(foreign.denominator == 1 and foreign % k == 0)
    return (f"{who} has {total} stamps. {pct}% of them are from other countries, and one in every {k} of those is from "
            f"Japan. How many of {who}'s stamps are from Japan?", foreign / k, "stamps")


def temperature_swing(d: Draw):
    town, morning, rise, fall = d.pick(("Oakridge", "Lakeside", "Pinecrest")), d.int(5, 20), d.int(3, 15), d.int(2, 25)
    require(morning + rise - fall > 0)
    return (f"In {town} it was {morning} degrees in the morning. By noon it was {rise} degrees warmer, and by night it had "
            f"dropped {fall} degrees from the noon temperature. What was the temperature at night, in degrees?",
            morning + rise - fall, "degrees")


def library_books(d: Draw):
    books, lent, back, bought = d.int(200, 900), d.int(20, 120), d.int(5, 60), d.int(5, 50)
    require(back <= lent)
    return (f"A library has {books} books on its shelves. On Monday {lent} books are lent out. On Tuesday {back} of them "
            f"are returned and the library buys {bought} new books. How many books are on the shelves now?",
            books - lent + back + bought, "books")


def boxes_in_lift(d: Draw):
    who, box, limit, person = d.name(), d.int(10, 40, 5), d.int(400, 1000, 50), d.int(55, 95)
    room = limit - person
    require(room >= box)
    return (f"A lift can carry at most {limit} kg. {who} weighs {person} kg and rides with boxes that weigh {box} kg each. "
            f"What is the largest number of boxes {who} can take in one trip?", room // box, "boxes")


def phone_bill(d: Draw):
    who, base, included, extra, used, months = d.name(), d.int(10, 40), d.int(2, 10), d.int(2, 8), d.int(3, 20), d.int(2, 6)
    require(used > included)
    return (f"{who}'s phone plan costs ${base} a month and includes {included} GB of data; each extra GB costs ${extra}. "
            f"{who} uses {used} GB every month. How many dollars does {who} pay in {months} months?",
            (base + (used - included) * extra) * months, DOLLARS)


def candy_jars(d: Draw):
    who, jars, each, per_day, days = d.name(), d.int(2, 6), d.int(20, 80), d.int(2, 9), d.int(3, 14)
    left = jars * each - per_day * days
    require(left > 0)
    return (f"{who} has {jars} jars with {each} candies in each. {who} eats {per_day} candies a day for {days} days. "
            f"How many candies are left?", left, "candies")


# id -> template, in the order a run plays them. Ids never change meaning.
TEMPLATES: dict[str, Template] = {
    f"GS{n:02d}": template for n, template in enumerate([
        notebooks_and_change, stickers_to_friends, two_speed_trip, discounted_jacket, ages_in_future, scaled_recipe,
        garden_beds, weeks_of_saving, finish_the_book, fruit_stand_profit, groups_of_present_students, weekly_wages,
        filling_tank, marbles_three_friends, family_tickets, pizza_slices_left, fencing_cost, parking_fee, bus_stops,
        fourth_test_score, laps_in_kilometres, girls_by_ratio, egg_cartons, painting_together, stamps_from_japan,
        temperature_swing, library_books, boxes_in_lift, phone_bill, candy_jars,
    ], start=1)
}
