"""The words of the demo data: categories, people's names and addresses, and what customers
and agents write (scenarios per category with {slots} filled per ticket)."""
from __future__ import annotations

import random
from dataclasses import dataclass

CUSTOMER_DOMAINS = ("example.com", "example.org", "example.net")
STAFF_DOMAIN = "support.example.com"
MANAGER_EMAIL = f"manager@{STAFF_DOMAIN}"  # Role.MANAGER: analytics, the audit log, every ticket
ADMIN_EMAIL = f"admin@{STAFF_DOMAIN}"  # Role.ADMIN: also users, settings and SLA policies
MANAGER_NAME = ("Alex", "Morgan")
ADMIN_NAME = ("Sam", "Rivera")

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


# The customer is back after a resolution (the ticket reopens), and the agent's second answer.
REOPEN_MESSAGES = (
    "Sorry, but this isn't solved. It happened again this morning, exactly as before.",
    "I tried what you suggested, but nothing has changed on my side.",
    "Thanks, but I still haven't received anything. Could you check again?",
    "It worked for a day and now the same problem is back.",
    "I think there's been a misunderstanding: my question was about order {order}, not the other one.",
)
REOPEN_SOLUTIONS = (
    "Sorry that it came back. I've looked again with a colleague and found the real cause: it was on our "
    "side, and it's fixed now. I've also added a note to your account so it doesn't happen again.",
    "Thanks for letting me know. I've escalated it and we've now corrected it properly; you should see the "
    "change within the hour.",
    "You're right, I mixed up two orders. I've now done it for order {order}; sorry for the extra trouble.",
)
# The agent gives up waiting for details the customer never sent.
NO_REPLY_RESOLUTIONS = (
    "I haven't heard back from you, so I'm marking this as resolved for now. Just reply here if you still "
    "need help and I'll pick it up again.",
    "As I didn't get the details I asked for, I'll close this for now. If the problem is still there, reply "
    "to this message and we'll continue where we left off.",
)

# Satisfaction comments: for a low score (1-3), by the reason that comes first; for a high one (4-5).
LOW_SCORE_COMMENTS: dict[str, tuple[str, ...]] = {
    "too_slow": (  # {wait}: the first response, or the resolution, whichever missed its target
        "It took {wait} before anyone even answered.",
        "Far too slow. I had to wait {wait} while I couldn't use my account.",
        "The answer was fine in the end, but waiting {wait} for it is not acceptable.",
        "{wait} for something this simple is too long.",
    ),
    "not_solved": (
        "The problem isn't actually solved, it came back the next day.",
        "Marked as resolved, but nothing has changed for me.",
        "I got a standard answer that didn't fix anything.",
    ),
    "asked_twice": (
        "I had already written all of this in my first message and had to explain it again.",
        "Why ask me for details that were in my ticket from the start?",
    ),
    "hard_to_understand": (
        "I didn't understand what I was supposed to do from the answer.",
        "Too many steps and no explanation of why. A short how-to would have helped.",
    ),
    "unfriendly": (
        "The reply felt copied and pasted, not very friendly.",
        "A bit curt. I'm a customer, not a ticket number.",
    ),
}
HIGH_SCORE_COMMENTS = (
    "Quick and friendly, thank you {agent}!",
    "Solved in one reply. Great service.",
    "{agent} was very helpful, thanks.",
    "Fast answer and it worked straight away.",
    "Thanks for sorting this out so quickly.",
    "Clear explanation, problem gone.",
)

SIGN_OFFS = ("Best regards,", "Kind regards,", "Thanks for your patience,", "All the best,")


@dataclass(frozen=True)
class Person:
    id: int
    first_name: str
    name: str


def person_name(kind: str, index: int) -> tuple[str, str]:
    # Keyed on the index alone, so the same demo account is found again by later runs.
    rng = random.Random(f"demo-{kind}-{index}")
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def person(user_id: int, kind: str, index: int) -> Person:
    first, last = person_name(kind, index)
    return Person(user_id, first, f"{first} {last}")


def agent_email(index: int) -> str:
    first, last = person_name("agent", index)
    return f"{first}.{last}.{index + 1}@{STAFF_DOMAIN}".lower()


def customer_email(index: int) -> str:
    first, last = person_name("customer", index)
    return f"{first}.{last}.{index + 1}@{CUSTOMER_DOMAINS[index % len(CUSTOMER_DOMAINS)]}".lower()
