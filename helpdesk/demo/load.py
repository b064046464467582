"""Realistic demo data at any scale, from templates (no external data).

`seed_demo(engine, tickets=...)` adds categories, agents with skills, customers and
tickets spread over the last `days` days. Each ticket follows a simulated life
(created → assigned → first response → maybe waiting on the customer → resolved →
closed) cut off at "now", so its status, timestamps, SLA due dates, messages and
events always agree with each other. Rows go in with bulk Core inserts in chunks,
with explicit ids continuing after the existing rows, so a million tickets take
minutes, not hours. Demo accounts and categories are created once and reused by
later runs, which only add tickets.
"""
from __future__ import annotations

import math
import random
import secrets
import string
import time
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from sqlalchemy import Engine, column, func, select, table as table_clause, text, update

from helpdesk.accounts.passwords import hash_password, password_problem
from helpdesk.core.clock import utcnow
from helpdesk.enums import EventKind, Priority, Role, TicketStatus
from helpdesk.models import AgentSkill, Category, SlaPolicy, Ticket, TicketEvent, TicketMessage, User
from helpdesk.search import text_index
from helpdesk.sla.clock import DEFAULT_TARGETS_HOURS

HOUR = 3600.0
DAY = 24 * HOUR
AUTO_CLOSE_AFTER = 7 * DAY  # resolved tickets nobody touches are closed by the system

CUSTOMER_DOMAINS = ("example.com", "example.org", "example.net")
STAFF_DOMAIN = "support.example.com"
MANAGER_EMAIL = f"manager@{STAFF_DOMAIN}"

# name, description, share of tickets
CATEGORIES: list[tuple[str, str, int]] = [
    ("Billing", "Invoices, charges, payment methods and subscriptions", 18),
    ("Account access", "Signing in, passwords, two-step verification, locked accounts", 14),
    ("Shipping & delivery", "Where is my parcel, delivery dates, damaged or missing items", 17),
    ("Returns & refunds", "Sending something back and getting money back", 13),
    ("Technical problem", "Errors in the app or on the website", 14),
    ("Product question", "How a product works, sizes, compatibility", 10),
    ("Orders", "Changing or cancelling an order, order confirmations", 9),
    ("Other", "Anything else", 5),
]

PRIORITY_SHARES = {Priority.LOW: 15, Priority.NORMAL: 58, Priority.HIGH: 21, Priority.URGENT: 6}
# Mean minutes until someone picks the ticket up.
ASSIGN_MEAN_MINUTES = {Priority.URGENT: 6, Priority.HIGH: 20, Priority.NORMAL: 50, Priority.LOW: 120}

# Mon..Sun and 00..23 UTC: the shape of a week in a consumer support team.
WEEKDAY_WEIGHT = (1.2, 1.12, 1.05, 1.0, 0.92, 0.45, 0.38)
HOUR_WEIGHT = (1, 1, 1, 1, 1, 2, 4, 7, 11, 14, 15, 14, 11, 12, 14, 14, 12, 10, 8, 7, 6, 4, 3, 2)

FIRST_NAMES = (
    "Amelia", "Noah", "Olivia", "Liam", "Emma", "Lucas", "Sofia", "Mateo", "Mia", "Elijah", "Chloe", "James",
    "Isla", "Leo", "Aria", "Hugo", "Zoe", "Oscar", "Nora", "Arthur", "Lena", "Felix", "Maya", "Theo", "Ava",
    "Samuel", "Grace", "Jonas", "Ella", "Daniel", "Hannah", "Adam", "Ines", "Tom", "Sara", "Yusuf", "Priya",
    "Kenji", "Aisha", "Mohammed", "Fatima", "Wei", "Mei", "Diego", "Lucia", "Ivan", "Anya", "Kofi", "Amara",
    "Rahul", "Ananya", "Lars", "Freya", "Marco", "Giulia", "Pierre", "Camille", "Sean", "Niamh", "Omar",
)
LAST_NAMES = (
    "Smith", "Johnson", "Garcia", "Muller", "Rossi", "Dubois", "Kowalski", "Nguyen", "Kim", "Patel", "Silva",
    "Jensen", "Novak", "Murphy", "Brown", "Wilson", "Martin", "Lopez", "Schmidt", "Fischer", "Bianchi",
    "Moreau", "Nowak", "Tanaka", "Chen", "Singh", "Costa", "Hansen", "Horvat", "Kelly", "Taylor", "Clarke",
    "Hernandez", "Weber", "Romano", "Laurent", "Wojcik", "Sato", "Wang", "Sharma", "Santos", "Berg",
    "Dvorak", "Byrne", "Evans", "Walker", "Okafor", "Mensah", "Haddad", "Ivanova", "Petrov", "Lindqvist",
)

PRODUCTS = (
    "wireless headphones", "coffee grinder", "running shoes", "desk lamp", "phone case", "backpack",
    "smart watch", "blender", "winter jacket", "bluetooth speaker", "yoga mat", "office chair",
    "water bottle", "keyboard", "electric toothbrush", "air fryer", "rain jacket", "tablet stand",
)
CARRIERS = ("DHL", "UPS", "DPD", "GLS", "FedEx", "the postal service")
DEVICES = ("iPhone", "Android phone", "Windows laptop", "MacBook", "iPad", "Chromebook")
BROWSERS = ("Chrome", "Firefox", "Safari", "Edge")
PLANS = ("Basic", "Plus", "Premium", "Family")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Per category: scenarios (subject, the customer's description, the agent's solution), the
# agent's request for details and the customer's answer. {slots} are filled per ticket.
SCENARIOS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "Billing": (
        ("Charged twice for order {order}",
         "I was charged {amount} twice for order {order} on {weekday}. My bank statement shows two identical "
         "payments. Could you refund the duplicate?",
         "I found the duplicate payment and refunded {amount}. It can take 3-5 business days to show on your "
         "statement."),
        ("Invoice for {month} is missing",
         "I can't find the invoice for {month} in my account. I need it for my expense report by the end of "
         "the week.",
         "I've re-sent the invoice to your e-mail address; you can also download it any time under Account > "
         "Invoices."),
        ("Wrong amount on my last invoice",
         "My last invoice says {amount} but my {plan} plan should cost less than that. Can you check what "
         "happened?",
         "The difference came from a price change of the {plan} plan that we should have announced better. "
         "I've applied a credit of {amount} to your account."),
        ("Payment failed but money was taken",
         "The checkout said the payment failed, but {amount} has left my account. I have no order "
         "confirmation. What should I do?",
         "The payment was only reserved, not captured. Your bank releases it within 5 days; nothing else "
         "for you to do."),
        ("How do I change my payment method?",
         "My card expires next month. Where can I change the payment method on my account?",
         "You can change it under Account > Billing > Payment method. I've checked that your next invoice "
         "will use the new card once you've added it."),
        ("Unexpected charge of {amount}",
         "There is a charge of {amount} from you that I don't recognise. I didn't place an order on {weekday}.",
         "That was the yearly renewal of your {plan} subscription. I've cancelled the renewal and refunded "
         "{amount} as you asked."),
    ),
    "Account access": (
        ("Can't sign in to my account",
         "Since {weekday} I can't sign in. It says my password is wrong, but I'm sure it's right. I use "
         "{browser} on my {device}.",
         "I've unlocked your account and sent a fresh password reset link. It's valid for one hour."),
        ("Password reset e-mail never arrives",
         "I requested a password reset three times but no e-mail arrives, not even in spam.",
         "Our mail provider had delays this morning. I've re-sent the reset e-mail; it should arrive within "
         "minutes."),
        ("Account locked after too many attempts",
         "My account is locked after too many attempts. I need to access my orders today.",
         "The lock is lifted. If you're unsure of your password, use 'Forgot password' before trying again."),
        ("Lost my phone with the 2FA app",
         "I lost my phone with the authenticator app and now I can't sign in. How can I get back into my "
         "account?",
         "I've turned off two-step verification on your account. Please set it up again on your new phone "
         "after signing in."),
        ("Someone else signed in to my account?",
         "I got an e-mail about a sign-in from a device I don't know. I'm worried someone has my password.",
         "I've signed out all sessions and reset your password. Please choose a new one you don't use "
         "anywhere else."),
    ),
    "Shipping & delivery": (
        ("Where is my order {order}?",
         "My order {order} should have arrived on {weekday} but the tracking from {carrier} hasn't changed "
         "in {days} days.",
         "The parcel was held at the local depot; {carrier} will deliver it tomorrow."),
        ("Parcel marked delivered but not received",
         "The tracking says my parcel was delivered but there is nothing at my door and the neighbours "
         "haven't seen it.",
         "{carrier} confirmed the parcel was lost. I've sent a replacement with express delivery at no cost."),
        ("Package arrived damaged",
         "The box with my {product} arrived crushed and the {product} doesn't work. Order {order}.",
         "Sorry about that. A replacement {product} is on its way; you don't need to send the broken one "
         "back."),
        ("Wrong address on order {order}",
         "I entered an old address for order {order}. Can you change it before it ships?",
         "I've updated the address before dispatch. You'll get a new tracking link by e-mail."),
        ("Express delivery is late",
         "I paid for express delivery of my {product} but it's {days} days late.",
         "I've refunded the express shipping fee of {amount} because of the delay. The parcel arrives "
         "tomorrow."),
    ),
    "Returns & refunds": (
        ("Return my {product}",
         "I'd like to return the {product} from order {order}. It isn't what I need.",
         "I've sent you a prepaid return label. Your refund is issued as soon as the parcel reaches us."),
        ("Refund not received yet",
         "I sent my return {days} days ago and {carrier} shows it was delivered to you, but I haven't got my "
         "refund of {amount}.",
         "Your return was checked in this morning and the refund of {amount} is on its way to your original "
         "payment method."),
        ("Return label doesn't work",
         "The return label link says it has expired. How do I send the {product} back?",
         "I've created a new return label and sent it to your e-mail address; it's valid for 30 days."),
        ("Exchange for a different size",
         "Can I exchange the {product} for a bigger size instead of a refund?",
         "I've set up the exchange; the new {product} ships as soon as we receive the old one."),
    ),
    "Technical problem": (
        ("App crashes on start",
         "Since the last update the app crashes as soon as I open it on my {device}. I've reinstalled it "
         "twice.",
         "This was a known bug in version 4.2; the fix is in today's update. Please update the app and let "
         "me know if it still happens."),
        ("Error {error} when paying",
         "When I try to pay I get error {error} and the page reloads. I tried two different cards.",
         "Our payment provider had an outage this afternoon. Payments work again, and you weren't charged "
         "for the failed attempts."),
        ("Page won't load in {browser}",
         "The website stays blank in {browser} on my {device}. It works on my partner's phone.",
         "An old cached file caused this. Clearing the browser cache for our site fixes it; our next release "
         "prevents it for good."),
        ("Notifications stopped working",
         "I get no notifications any more, although they're switched on in the settings.",
         "I've reset the notification settings on your account; please sign out and in again."),
        ("Checkout button does nothing",
         "Clicking the checkout button does nothing. I use {browser} on a {device}.",
         "A browser extension blocked our checkout script. Allowing our site in the ad blocker fixes it."),
    ),
    "Product question": (
        ("Is the {product} compatible with my {device}?",
         "Before I order: does the {product} work with a {device}? The product page doesn't say.",
         "Yes, the {product} works with every {device} from the last five years. I've asked the team to add "
         "this to the product page."),
        ("Size advice for {product}",
         "I'm between two sizes for the {product}. Does it run small?",
         "Customers usually take one size up; you can exchange it for free if it doesn't fit."),
        ("How do I clean the {product}?",
         "What's the best way to clean the {product}? The manual isn't clear.",
         "Warm water and mild soap are best; I've e-mailed you the care guide as a PDF."),
        ("Warranty on my {product}",
         "My {product} stopped working after {months} months. Is it still under warranty?",
         "Your {product} is under the two-year warranty. I've arranged a free replacement."),
    ),
    "Orders": (
        ("Cancel order {order}",
         "Please cancel order {order}; I ordered the wrong {product}.",
         "Order {order} is cancelled and the refund of {amount} is on its way."),
        ("No order confirmation received",
         "I placed an order on {weekday} but never got a confirmation e-mail. Did it go through?",
         "The order went through; I've re-sent the confirmation to your e-mail address."),
        ("Add an item to order {order}",
         "Can I still add a second {product} to order {order}?",
         "I've added the item; you'll only be charged the difference of {amount}."),
        ("Order {order} stuck in processing",
         "Order {order} has been 'processing' for {days} days. When will it ship?",
         "A stock delay held your order; it ships today and you'll get tracking by e-mail."),
    ),
    "Other": (
        ("Request for a copy of my data",
         "I'd like to know which personal data you store about me. Can I get a copy?",
         "I've sent the export of your data to your e-mail address as a password-protected file."),
        ("Delete my account",
         "Please delete my account and all my data.",
         "Your deletion request is registered; the account will be removed within 30 days."),
        ("Feedback about the delivery",
         "Just wanted to say the delivery driver was very friendly, but the packaging was excessive.",
         "Thank you for the feedback! I've passed it on to our logistics team."),
        ("Question about marketing e-mails",
         "Where can I read how you use my e-mail address for marketing?",
         "You'll find it under Privacy in the footer of our site; you can opt out there too, and I've "
         "opted you out already."),
    ),
}
ASK_FOR_DETAILS: dict[str, tuple[tuple[str, str], ...]] = {  # (agent asks, customer answers)
    "Billing": (
        ("Could you send me the last four digits of the card and the date of the charge, so I can find the "
         "payment?", "The card ends in {digits} and the charge was on {weekday}."),
        ("To look into this I need the transaction reference from your bank statement. Could you send it?",
         "Here is the reference from my bank: TX{digits}{digits}. Thanks for checking."),
    ),
    "Account access": (
        ("For your security, could you confirm the postcode of your billing address and your last order "
         "number?", "The postcode is {digits} and my last order was {order}."),
        ("Could you tell me which e-mail address you used when you signed up?",
         "Probably my old work address, same name at a different domain."),
    ),
    "Shipping & delivery": (
        ("Could you send a photo of the package and the label? I'll open a claim with {carrier}.",
         "I've e-mailed the photos; the label is readable on the second one."),
        ("Could you check with your neighbours or building reception? If it's not there by tomorrow, reply "
         "here and I'll open an investigation.", "Nobody has it. Reception has no record either."),
    ),
    "Returns & refunds": (
        ("Could you tell me the reason for the return and whether the {product} has been used?",
         "It's unused, still in the original box. It's just not what I expected."),
        ("Could you send the tracking number of your return shipment?",
         "The tracking number is {carrier_code}{digits}{digits}."),
    ),
    "Technical problem": (
        ("Could you tell me the app version (Settings > About) and send a screenshot of the error?",
         "It's version 4.2.{days}. Screenshot sent by e-mail."),
        ("Could you try once in a private window of {browser} and tell me whether the problem stays?",
         "In a private window it works, strangely."),
    ),
    "Product question": (
        ("Could you send the order number or the serial number on the bottom of the {product}?",
         "The order number is {order}."),
    ),
    "Orders": (
        ("Could you confirm the e-mail address you used at checkout?", "I used this address, the same as my account."),
    ),
    "Other": (
        ("Before I go ahead, could you confirm that this is about the account you're writing from?",
         "Yes, this account. Thank you."),
    ),
}

ACKNOWLEDGEMENTS = (
    "Thanks for getting in touch. I'm looking into this now and will get back to you as soon as I know more.",
    "Sorry for the trouble. I've picked up your ticket and I'm checking with the team responsible.",
    "Thank you for the details. I'm on it and will update you here shortly.",
)
INTERNAL_NOTES = (
    "Checked the logs: the customer's account looks fine. Waiting on the warehouse.",
    "Escalated to second line; they asked for the order history, attached in the admin tool.",
    "Same issue as two other tickets this week. Might be worth a known-issues article.",
    "Customer has been with us for years; approved the goodwill gesture with the team lead.",
    "Payment provider confirms one successful capture only. Will refund the other one.",
)
SIGN_OFFS = ("Best regards,", "Kind regards,", "Thanks for your patience,", "All the best,")


@dataclass
class SeedSummary:
    tickets: int
    messages: int
    events: int
    first_ticket_id: int | None
    last_ticket_id: int | None
    categories_created: int
    agents_created: int
    customers_created: int
    manager_email: str
    agent_emails: list[str]
    customer_emails: list[str]
    password: str | None  # only when this run created accounts; never stored anywhere
    seconds: float


@dataclass(frozen=True)
class _Person:
    id: int
    first_name: str
    name: str


def generate_password() -> str:
    """One random password for every demo account created in this run."""
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(16))
        if password_problem(password) is None:
            return password


def _person_name(kind: str, index: int) -> tuple[str, str]:
    # Keyed on the index alone, so the same demo account is found again by later runs.
    rng = random.Random(f"demo-{kind}-{index}")
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def _person(user_id: int, kind: str, index: int) -> _Person:
    first, last = _person_name(kind, index)
    return _Person(user_id, first, f"{first} {last}")


def agent_email(index: int) -> str:
    first, last = _person_name("agent", index)
    return f"{first}.{last}.{index + 1}@{STAFF_DOMAIN}".lower()


def customer_email(index: int) -> str:
    first, last = _person_name("customer", index)
    return f"{first}.{last}.{index + 1}@{CUSTOMER_DOMAINS[index % len(CUSTOMER_DOMAINS)]}".lower()


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


class _TicketFactory:
    """Simulates one ticket's life and returns the rows for it. Times are epoch seconds."""

    def __init__(self, *, rng: random.Random, now: float, categories: dict[str, int],
                 agents_by_category: dict[int, list[_Person]], all_agents: list[_Person],
                 customers: list[_Person], targets: dict[Priority, tuple[int, int]],
                 stamp: Callable[[float | None], object]):
        self.rng, self.now, self.stamp = rng, now, stamp
        self.category_names = [name for name, _, _ in CATEGORIES]
        self.category_cum = list(accumulate(share for _, _, share in CATEGORIES))
        self.category_ids = categories
        self.priorities = list(PRIORITY_SHARES)
        self.priority_cum = list(accumulate(PRIORITY_SHARES.values()))
        self.agents_by_category = agents_by_category
        self.all_agents = all_agents
        # A few agents carry more of the load, a few customers write much more often.
        self.agent_weight = {a.id: 0.5 + rng.random() for a in all_agents}
        self.agent_cum = {cid: list(accumulate(self.agent_weight[a.id] for a in people))
                          for cid, people in agents_by_category.items()}
        self.customers = customers
        self.customer_cum = list(accumulate(rng.paretovariate(1.6) for _ in customers))
        self.targets = {p: (h1 * HOUR, h2 * HOUR) for p, (h1, h2) in targets.items()}
        self.last_assigned: dict[int, float] = {}
        self.detail_pool = [self._details(rng) for _ in range(4096)]

    def _pick(self, items, cum):
        return items[bisect_left(cum, self.rng.random() * cum[-1])]

    def _slots(self, created: float, customer: _Person, agent: _Person) -> dict[str, str]:
        rng = self.rng
        moment = datetime.fromtimestamp(created - rng.random() * 3 * DAY, UTC)
        # Details drawn from a pool: a dozen random draws per ticket add up at a million tickets.
        slots = dict(self.detail_pool[int(rng.random() * len(self.detail_pool))])
        slots.update(order=f"#{rng.randrange(100000, 999999)}", weekday=WEEKDAYS[moment.weekday()],
                     month=moment.strftime("%B"), customer=customer.first_name,
                     agent=agent.first_name)
        return slots

    @staticmethod
    def _details(rng: random.Random) -> dict[str, str]:
        return {
            "amount": f"€{rng.randrange(5, 400)}.{rng.randrange(0, 100):02d}",
            "product": rng.choice(PRODUCTS),
            "carrier": rng.choice(CARRIERS),
            "carrier_code": rng.choice(("JD", "1Z", "CP", "LX")),
            "device": rng.choice(DEVICES),
            "browser": rng.choice(BROWSERS),
            "plan": rng.choice(PLANS),
            "error": f"E{rng.randrange(100, 999)}",
            "days": str(rng.randrange(2, 12)),
            "months": str(rng.randrange(3, 22)),
            "digits": f"{rng.randrange(1000, 9999)}",
        }

    def _agent_text(self, body: str, slots: dict[str, str]) -> str:
        return (f"Hi {slots['customer']},\n\n{body.format(**slots)}\n\n"
                f"{self.rng.choice(SIGN_OFFS)}\n{slots['agent']}, Customer Care")

    def build(self, ticket_id: int, created: float, message_id: int, event_id: int):
        """(ticket row, message rows, event rows) for one ticket created at `created`."""
        rng, now, stamp = self.rng, self.now, self.stamp
        category_name = self._pick(self.category_names, self.category_cum)
        category_id = self.category_ids[category_name]
        priority = self._pick(self.priorities, self.priority_cum)
        customer = self._pick(self.customers, self.customer_cum)
        skilled = self.agents_by_category.get(category_id)
        # A category nobody has as a skill (too few agents) goes to anyone.
        agent = self._pick(skilled, self.agent_cum[category_id]) if skilled else rng.choice(self.all_agents)
        subject, description, solution = rng.choice(SCENARIOS[category_name])
        ask, answer = rng.choice(ASK_FOR_DETAILS[category_name])
        slots = self._slots(created, customer, agent)
        first_target, resolution_target = self.targets[priority]

        # The planned life of the ticket, in time order; everything after `now` is cut off below.
        t_assign = created + rng.expovariate(1.0 / (ASSIGN_MEAN_MINUTES[priority] * 60.0))
        t_first = t_assign + _lognormal(rng, 0.35 * first_target, 0.9)
        path = rng.random()
        stuck = rng.random() < 0.04  # the long tail every helpdesk has: weeks, not days
        steps: list[tuple[float, str, object]] = []  # (time, kind, payload)
        steps.append((t_assign, "assign", None))
        if path < 0.35:  # answered and solved in one reply
            steps.append((t_first, "reply", self._agent_text(solution, slots)))
            steps.append((t_first, "status", TicketStatus.RESOLVED))
            t_resolved = t_first
        elif path < 0.75:  # acknowledged, worked on, solved
            steps.append((t_first, "reply", self._agent_text(rng.choice(ACKNOWLEDGEMENTS), slots)))
            steps.append((t_first, "status", TicketStatus.IN_PROGRESS))
            t_resolved = t_first + _lognormal(rng, 0.3 * resolution_target, 0.9) * (20 if stuck else 1)
            if rng.random() < 0.25:
                steps.append((t_first + (t_resolved - t_first) * rng.random() * 0.6, "note", rng.choice(INTERNAL_NOTES)))
            steps.append((t_resolved, "reply", self._agent_text(solution, slots)))
            steps.append((t_resolved, "status", TicketStatus.RESOLVED))
        else:  # the agent needs details from the customer first
            steps.append((t_first, "reply", self._agent_text(ask, slots)))
            steps.append((t_first, "status", TicketStatus.WAITING_ON_CUSTOMER))
            t_answer = t_first + _lognormal(rng, 8 * HOUR, 1.3)
            steps.append((t_answer, "customer", answer.format(**slots)))
            steps.append((t_answer, "status", TicketStatus.OPEN))
            t_resolved = t_answer + _lognormal(rng, 0.25 * resolution_target, 0.9) * (20 if stuck else 1)
            if rng.random() < 0.15:
                steps.append((t_answer + (t_resolved - t_answer) * rng.random() * 0.6, "note", rng.choice(INTERNAL_NOTES)))
            steps.append((t_resolved, "reply", self._agent_text(solution, slots)))
            steps.append((t_resolved, "status", TicketStatus.RESOLVED))
        if rng.random() < 0.35:  # the customer closes it; otherwise the system does after a week
            steps.append((t_resolved + min(_lognormal(rng, 6 * HOUR, 1.0), AUTO_CLOSE_AFTER), "close", customer.id))
        else:
            steps.append((t_resolved + AUTO_CLOSE_AFTER, "close", None))

        status = TicketStatus.NEW
        assignee_id = first_response_at = resolved_at = closed_at = waiting_since = None
        updated = created
        paused = 0.0
        messages, events = [], []
        events.append(_event(stamp, event_id, ticket_id, customer.id, EventKind.CREATED, None, "new", created))
        event_id += 1
        for at, kind, payload in steps:
            if at > now:
                break
            updated = at
            if kind == "assign":
                assignee_id = agent.id
                self.last_assigned[agent.id] = max(at, self.last_assigned.get(agent.id, 0.0))
                # Half are claimed by the agent, half come from automatic assignment (the system).
                actor = agent.id if rng.random() < 0.5 else None
                events.append(_event(stamp, event_id, ticket_id, actor, EventKind.ASSIGNED, None,
                                     agent.name, at))
                event_id += 1
            elif kind in ("reply", "customer", "note"):
                author = customer.id if kind == "customer" else agent.id
                messages.append({"id": message_id, "ticket_id": ticket_id, "author_id": author, "body": payload,
                                 "is_public": kind != "note", "created_at": stamp(at)})
                message_id += 1
                if kind == "reply" and first_response_at is None:
                    first_response_at = at
            elif kind in ("status", "close"):
                new_status = payload if kind == "status" else TicketStatus.CLOSED
                actor = agent.id if kind == "status" else payload
                if kind == "status" and new_status == TicketStatus.OPEN:
                    actor = customer.id  # the customer's reply reopens a waiting ticket
                events.append(_event(stamp, event_id, ticket_id, actor, EventKind.STATUS_CHANGED, status.value,
                                     new_status.value, at))
                event_id += 1
                if status == TicketStatus.WAITING_ON_CUSTOMER:
                    paused += at - waiting_since
                    waiting_since = None
                if new_status == TicketStatus.WAITING_ON_CUSTOMER:
                    waiting_since = at
                elif new_status == TicketStatus.RESOLVED:
                    resolved_at = at
                elif new_status == TicketStatus.CLOSED:
                    closed_at = at
                status = new_status

        ticket = {
            "id": ticket_id,
            "subject": subject.format(**slots),
            "description": description.format(**slots),
            "category_id": category_id,
            "priority": priority.value,
            "status": status.value,
            "customer_id": customer.id,
            "assignee_id": assignee_id,
            "created_at": stamp(created),
            "updated_at": stamp(updated),
            "first_response_at": stamp(first_response_at),
            "resolved_at": stamp(resolved_at),
            "closed_at": stamp(closed_at),
            "first_response_due_at": stamp(created + first_target),
            # Time spent waiting on the customer does not count against resolution.
            "resolution_due_at": stamp(created + resolution_target + paused),
            "waiting_since": stamp(waiting_since),
            "submission_key": None,
            "version": len(events),  # one per recorded change, as the services would count
        }
        return ticket, messages, events


def aware_stamp(seconds: float | None) -> datetime | None:
    """Epoch seconds as the timezone-aware UTC datetime the UTCDateTime columns take."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def sqlite_stamp(seconds: float | None) -> str | None:
    """Epoch seconds as the exact text UTCDateTime stores on SQLite (naive UTC, microseconds).

    The bulk insert on SQLite writes this text directly: the type's bind processing costs
    about 4 µs per value, a third of the run at a million tickets (16 million timestamps)."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat(" ", "microseconds")[:26]  # without "+00:00"


def _bulk_tables(dialect_name: str):
    """(tickets, messages, events, stamp) for the bulk insert on this backend."""
    tables = (Ticket.__table__, TicketMessage.__table__, TicketEvent.__table__)
    if dialect_name != "sqlite":
        return (*tables, aware_stamp)
    # Untyped twins: values go to the driver as given (text timestamps, enum values, ints).
    twins = tuple(table_clause(t.name, *(column(c.name) for c in t.columns)) for t in tables)
    return (*twins, sqlite_stamp)


def _check_columns(table, rows: list[dict]) -> None:
    """Every column gets a value from the generator: the untyped SQLite twins have no defaults,
    so a column added to the model later must be added here too, not silently left NULL."""
    if rows and (missing := {c.name for c in table.columns} - rows[0].keys()):
        raise RuntimeError(f"demo data has no value for {table.name}.{', '.join(sorted(missing))}")


def _event(stamp, event_id, ticket_id, actor_id, kind: EventKind, old, new, at: float) -> dict:
    return {"id": event_id, "ticket_id": ticket_id, "actor_id": actor_id, "kind": kind.value,
            "old_value": old, "new_value": new, "created_at": stamp(at)}


def creation_times(rng: random.Random, count: int, days: int, now: datetime) -> list[float]:
    """`count` sorted creation times over the last `days` days: weekdays and office hours
    busier, and volume growing towards today."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed_today = (now - today).total_seconds()
    day_starts, weights = [], []
    for back in range(days):
        start = today - timedelta(days=back)
        trend = 1.0 - 0.45 * back / max(days, 1)
        weight = trend * WEEKDAY_WEIGHT[start.weekday()]
        if back == 0:
            weight *= elapsed_today / DAY
        day_starts.append(start.timestamp())
        weights.append(weight)
    day_cum = list(accumulate(weights))
    hour_cum = list(accumulate(HOUR_WEIGHT))
    now_ts, today_ts = now.timestamp(), today.timestamp()
    times = []
    for day in rng.choices(day_starts, cum_weights=day_cum, k=count):
        at = day + bisect_left(hour_cum, rng.random() * hour_cum[-1]) * HOUR + rng.random() * HOUR
        if at >= now_ts:  # today's hours that haven't happened yet
            at = today_ts + rng.random() * max(elapsed_today, 1.0)
        times.append(at)
    times.sort()
    return times


def _sla_targets(connection) -> dict[Priority, tuple[int, int]]:
    targets = dict(DEFAULT_TARGETS_HOURS)
    for row in connection.execute(select(SlaPolicy.priority, SlaPolicy.first_response_hours,
                                         SlaPolicy.resolution_hours)):
        targets[Priority(row.priority)] = (row.first_response_hours, row.resolution_hours)
    return targets


def _ensure_categories(connection, now: datetime) -> tuple[dict[str, int], int]:
    table = Category.__table__
    existing = {row.name: row.id for row in connection.execute(select(table.c.name, table.c.id))}
    missing = [{"name": name, "description": description, "is_active": True, "created_at": now}
               for name, description, _ in CATEGORIES if name not in existing]
    if missing:
        connection.execute(table.insert(), missing)
        existing = {row.name: row.id for row in connection.execute(select(table.c.name, table.c.id))}
    return existing, len(missing)


def _ensure_accounts(connection, *, rng: random.Random, agents: int, customers: int, days: int,
                     now: datetime, categories: dict[str, int]):
    """Create the demo accounts that don't exist yet. Returns (agents, customers, created, password)."""
    table = User.__table__
    specs = [(MANAGER_EMAIL, ("Alex", "Morgan"), Role.ADMIN)]
    specs += [(agent_email(i), _person_name("agent", i), Role.AGENT) for i in range(agents)]
    specs += [(customer_email(i), _person_name("customer", i), Role.CUSTOMER) for i in range(customers)]
    emails = [email for email, _, _ in specs]
    existing: dict[str, int] = {}
    for start in range(0, len(emails), 500):
        rows = connection.execute(select(table.c.email, table.c.id).where(table.c.email.in_(emails[start:start + 500])))
        existing.update({row.email: row.id for row in rows})
    missing = [spec for spec in specs if spec[0] not in existing]
    password = None
    if missing:
        password = generate_password()
        password_hash = hash_password(password)  # once: argon2 is slow on purpose
        oldest = now - timedelta(days=days + 365)
        rows = []
        for email, (first, last), role in missing:
            joined = oldest + timedelta(seconds=rng.random() * 365 * DAY)
            rows.append({"email": email, "name": f"{first} {last}", "role": role.value, "is_active": True,
                         "password_hash": password_hash, "created_at": joined,
                         "last_login_at": now - timedelta(seconds=rng.random() * 30 * DAY),
                         "last_assigned_at": None, "wants_optional_email": rng.random() < 0.8})
        connection.execute(table.insert(), rows)
        for start in range(0, len(emails), 500):
            rows = connection.execute(select(table.c.email, table.c.id).where(table.c.email.in_(emails[start:start + 500])))
            existing.update({row.email: row.id for row in rows})
        # Each new agent handles a main category plus one or two others.
        category_ids = [categories[name] for name, _, _ in CATEGORIES]
        created_emails = {email for email, _, _ in missing}
        skills = []
        for i in range(agents):
            email = agent_email(i)
            if email not in created_emails:
                continue
            skill_rng = random.Random(f"demo-skills-{i}")
            chosen = {category_ids[i % len(category_ids)]}
            chosen.update(skill_rng.sample(category_ids, skill_rng.randint(1, 2)))
            skills += [{"agent_id": existing[email], "category_id": cid} for cid in sorted(chosen)]
        if skills:
            connection.execute(AgentSkill.__table__.insert(), skills)

    agent_people = [_person(existing[agent_email(i)], "agent", i) for i in range(agents)]
    customer_people = [_person(existing[customer_email(i)], "customer", i) for i in range(customers)]
    return agent_people, customer_people, missing, password


def _agents_by_category(connection, agents: list[_Person]) -> dict[int, list[_Person]]:
    by_id = {agent.id: agent for agent in agents}
    result: dict[int, list[_Person]] = {}
    if not by_id:
        return result
    skill = AgentSkill.__table__
    rows = connection.execute(select(skill.c.agent_id, skill.c.category_id)
                              .where(skill.c.agent_id.in_(list(by_id)))
                              .order_by(skill.c.category_id, skill.c.agent_id))
    for row in rows:
        result.setdefault(row.category_id, []).append(by_id[row.agent_id])
    return result


def _next_id(connection, table) -> int:
    return (connection.scalar(select(func.max(table.c.id))) or 0) + 1


def _reset_sequences(connection) -> None:
    """PostgreSQL sequences don't move when ids are given explicitly; move them past the rows."""
    if connection.dialect.name != "postgresql":
        return
    for table in (Ticket.__table__, TicketMessage.__table__, TicketEvent.__table__):
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"))


def seed_demo(engine: Engine, *, tickets: int = 5000, customers: int = 500, agents: int = 20, days: int = 180,
              seed: int = 42, now: datetime | None = None, chunk_size: int = 10_000,
              progress: Callable[[int], None] | None = None) -> SeedSummary:
    """Add demo data. `progress(n)` is called after each chunk with the tickets just written.

    Run it while nobody else writes tickets: ids are assigned here, after the current maximum."""
    if tickets < 0 or customers < 1 or agents < 1 or days < 1:
        raise ValueError("tickets must be >= 0; customers, agents and days >= 1")
    started = time.monotonic()
    now = now or utcnow()
    rng = random.Random(seed)

    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # A big page cache keeps the ticket indexes in memory while they grow.
            connection.exec_driver_sql("PRAGMA cache_size=-262144")
        categories, categories_created = _ensure_categories(connection, now)
        agent_people, customer_people, new_accounts, password = _ensure_accounts(
            connection, rng=rng, agents=agents, customers=customers, days=days, now=now, categories=categories)
        agents_by_category = _agents_by_category(connection, agent_people)
        targets = _sla_targets(connection)
        ticket_id = _next_id(connection, Ticket.__table__)
        message_id = _next_id(connection, TicketMessage.__table__)
        event_id = _next_id(connection, TicketEvent.__table__)
        connection.commit()

        ticket_table, message_table, event_table, stamp = _bulk_tables(connection.dialect.name)
        factory = _TicketFactory(rng=rng, now=now.timestamp(), categories=categories,
                                 agents_by_category=agents_by_category, all_agents=agent_people,
                                 customers=customer_people, targets=targets, stamp=stamp)
        times = creation_times(rng, tickets, days, now)
        first_ticket_id = ticket_id if tickets else None
        message_count = event_count = 0
        try:
            # Subjects are indexed for search at the end, in one statement (see subject_search).
            with text_index.indexed_after_bulk_insert(connection, ticket_id):
                for start in range(0, tickets, chunk_size):
                    ticket_rows, message_rows, event_rows = [], [], []
                    for created in times[start:start + chunk_size]:
                        ticket, messages, events = factory.build(ticket_id, created, message_id, event_id)
                        ticket_rows.append(ticket)
                        message_rows += messages
                        event_rows += events
                        ticket_id += 1
                        message_id += len(messages)
                        event_id += len(events)
                    for model, rows in ((Ticket, ticket_rows), (TicketMessage, message_rows), (TicketEvent, event_rows)):
                        _check_columns(model.__table__, rows)
                    connection.execute(ticket_table.insert(), ticket_rows)
                    if message_rows:
                        connection.execute(message_table.insert(), message_rows)
                    connection.execute(event_table.insert(), event_rows)
                    # One transaction per chunk: the WAL stays small and an interrupted run keeps whole tickets.
                    connection.commit()
                    message_count += len(message_rows)
                    event_count += len(event_rows)
                    if progress:
                        progress(len(ticket_rows))
        finally:
            # Also after an interrupted run: the chunks already committed must not collide with
            # the ids the app's next inserts get from the PostgreSQL sequences.
            connection.rollback()  # a half-written chunk is gone either way; an aborted transaction can't continue
            _reset_sequences(connection)
            connection.commit()

        users = User.__table__
        for agent_id, at in factory.last_assigned.items():
            assigned_at = aware_stamp(at)
            connection.execute(update(users).where(users.c.id == agent_id)
                               .where(users.c.last_assigned_at.is_(None) | (users.c.last_assigned_at < assigned_at))
                               .values(last_assigned_at=assigned_at))
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA cache_size=-2000")  # back to the default for pooled reuse
        connection.commit()

    created_roles = [role for _, _, role in new_accounts]
    return SeedSummary(
        tickets=tickets, messages=message_count, events=event_count,
        first_ticket_id=first_ticket_id, last_ticket_id=ticket_id - 1 if tickets else None,
        categories_created=categories_created,
        agents_created=created_roles.count(Role.AGENT),
        customers_created=created_roles.count(Role.CUSTOMER),
        manager_email=MANAGER_EMAIL,
        agent_emails=[agent_email(i) for i in range(min(agents, 3))],
        customer_emails=[customer_email(i) for i in range(min(customers, 3))],
        password=password,
        seconds=time.monotonic() - started,
    )
