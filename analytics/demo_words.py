"""The words the demo data is made of: personas, people's names, job titles, deal topics and
campaigns. Job titles and deal topics are messages (gettext_noop), written in the installation's
language when seeded."""

from django.utils.translation import gettext_noop

PERSONAS = [
    (
        "Head of Sales",
        "Owns the number; wants forecast accuracy and rep productivity.",
        "Visibility, predictable revenue",
        "Missed follow-ups, spreadsheets",
        "Hitting quota, less admin work",
    ),
    (
        "IT Lead",
        "Evaluates security and integration effort.",
        "Security, SSO, APIs",
        "Shadow IT, data silos",
        "Low maintenance, compliance",
    ),
    (
        "Managing Director",
        "Small company owner who signs the contract.",
        "Growth, cost control",
        "No overview of the pipeline",
        "Return on investment",
    ),
]

FIRST_NAMES = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Eva",
    "Felix",
    "Greta",
    "Hannes",
    "Ida",
    "Jonas",
    "Katrin",
    "Lukas",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
    "Rosa",
    "Simon",
    "Tina",
    "Uwe",
    "Vera",
    "Wolfgang",
    "Yara",
    "Zoe",
]
LAST_NAMES = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Bauer",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
]
# Written in the installation's language when seeded (gettext_noop marks them for the catalog).
JOB_TITLES = [
    gettext_noop("CEO"),
    gettext_noop("Head of Sales"),
    gettext_noop("IT Lead"),
    gettext_noop("Procurement"),
    gettext_noop("Operations Manager"),
    gettext_noop("CFO"),
    gettext_noop("Marketing Lead"),
]
DEAL_TOPICS = [
    gettext_noop("CRM rollout"),
    gettext_noop("Sales team licences"),
    gettext_noop("Pilot project"),
    gettext_noop("Service contract"),
    gettext_noop("Migration"),
    gettext_noop("Upgrade"),
    gettext_noop("Expansion to new branch"),
    gettext_noop("Annual renewal"),
    gettext_noop("Onboarding"),
    gettext_noop("Analytics add-on"),
]
CAMPAIGNS = {
    "web_form": ["Website contact", "Pricing page"],
    "trade_fair": ["CeBIT Hannover", "DMEXCO Cologne", "it-sa Nuremberg"],
    "cold_call": ["Q1 outbound", "Q3 outbound"],
    "referral": ["Customer referral"],
    "blog": ["Blog: pipeline phases", "Blog: lead scoring"],
    "webinar": ["Webinar: forecasting", "Webinar: sales process"],
    "case_study": ["Case study: logistics", "Case study: retail"],
    "social": ["LinkedIn"],
    "retargeting": ["Retargeting Q2"],
    "other": [""],
}
