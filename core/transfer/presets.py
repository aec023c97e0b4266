"""The exports people bring, read with no mapping file: Google Contacts (current and legacy CSV), Outlook,
HubSpot, Salesforce (Data Loader's API names and report labels) and Genesys Cloud's bulk-import columns. Each is
a ``Mapping`` of their published headers; a header that looks like one of them is recognised, so import can
suggest the preset."""

from __future__ import annotations

from core.errors import ValidationFailed
from core.text import fold
from core.transfer.columns import Labelled, Mapping


def _address(street: str, city: str, state: str, code: str, country: str, *extended: str) -> dict[str, str]:
    parts = {street: "Contact Address 1", city: "Contact City", state: "Contact State", code: "Contact Postal Code",
             country: "Contact Country", **dict.fromkeys(extended, "Contact Address 2")}
    return {fold(theirs): ours for theirs, ours in parts.items() if theirs}


def _columns(pairs: dict[str, str]) -> dict[str, str]:
    return {fold(theirs): ours for theirs, ours in pairs.items()}


GOOGLE = Mapping(
    _columns({
        # current export (contacts.google.com, 2020 on)
        "First Name": "Contact First Name", "Middle Name": "Contact Middle Name", "Last Name": "Contact Last Name",
        "Name Prefix": "Contact Salutation", "Organization Name": "Account Name",
        "Organization Title": "Contact Title", "Notes": "Contact Notes",
        # legacy "Google CSV"
        "Given Name": "Contact First Name", "Additional Name": "Contact Middle Name",
        "Family Name": "Contact Last Name", "Organization 1 - Name": "Account Name",
        "Organization 1 - Title": "Contact Title",
        **{f"Website {n} - Value": "Account Websites" for n in range(1, 10)},
    }),
    list_separator=" ::: ",
    labelled=(Labelled(r"Phone (\d+) - Value", ("Phone {n} - Label", "Phone {n} - Type"), "phones"),
              Labelled(r"E-mail (\d+) - Value", ("E-mail {n} - Label", "E-mail {n} - Type"), "emails")),
    addresses=tuple(_address(f"Address {n} - Street", f"Address {n} - City", f"Address {n} - Region",
                             f"Address {n} - Postal Code", f"Address {n} - Country",
                             f"Address {n} - Extended Address") for n in range(1, 4)),
    source="google",
    repeats=frozenset(fold(h) for h in ("Name", "File As", "Labels", "Group Membership", *(
        f"{what} {n} - {part}" for n in range(1, 10) for what, part in (
            ("Address", "Formatted"), ("Address", "Label"), ("Address", "Type"), ("Website", "Label"),
            ("Website", "Type"), ("Organization", "Type"))))),
)

OUTLOOK = Mapping(
    _columns({
        "First Name": "Contact First Name", "Middle Name": "Contact Middle Name", "Last Name": "Contact Last Name",
        "Title": "Contact Salutation", "Job Title": "Contact Title", "Company": "Account Name",
        "Business Phone": "Contact Work Phone", "Business Phone 2": "Contact Work Phone",
        "Mobile Phone": "Contact Cell Phone", "Car Phone": "Contact Cell Phone",
        "Home Phone": "Contact Home Phone", "Home Phone 2": "Contact Home Phone",
        "Other Phone": "Contact Other Phone", "Primary Phone": "Contact Other Phone",
        "Assistant's Phone": "Contact Other Phone", "Callback": "Contact Other Phone",
        "Pager": "Contact Other Phone",
        "Business Fax": "Contact Fax", "Home Fax": "Contact Fax", "Other Fax": "Contact Fax",
        "Company Main Phone": "Account Phone",
        "E-mail Address": "Contact Work Email", "E-mail 2 Address": "Contact Other Email",
        "E-mail 3 Address": "Contact Other Email",
        "Web Page": "Account Websites", "Notes": "Contact Notes",
    }),
    addresses=tuple(_address(f"{kind} Street", f"{kind} City", f"{kind} State", f"{kind} Postal Code",
                             f"{kind} Country/Region", f"{kind} Street 2", f"{kind} Street 3")
                    for kind in ("Business", "Home", "Other")),
    source="outlook",
    repeats=frozenset(fold(h) for h in ("E-mail Type", "E-mail Display Name", "E-mail 2 Type",
                                        "E-mail 2 Display Name", "E-mail 3 Type", "E-mail 3 Display Name",
                                        "Priority", "Private", "Sensitivity", "Initials")),
    blanks=frozenset({"unspecified", "0/0/00"}),
)

HUBSPOT = Mapping(
    _columns({
        "Record ID": "Contact ID", "Record ID - Contact": "Contact ID", "First Name": "Contact First Name",
        "Last Name": "Contact Last Name", "Email": "Contact Work Email",
        "Additional email addresses": "Contact Other Email", "Phone Number": "Contact Work Phone",
        "Mobile Phone Number": "Contact Cell Phone", "Fax Number": "Contact Fax", "Job Title": "Contact Title",
        "Company Name": "Account Name", "Website URL": "Account Websites",
        "Associated Company IDs (Primary)": "Account ID", "Primary Associated Company ID": "Account ID",
    }),
    addresses=(_address("Street Address", "City", "State/Region", "Postal Code", "Country/Region"),),
    source="hubspot",
    repeats=frozenset(fold(h) for h in ("Associated Company",)),  # the company's name again
)

SALESFORCE = Mapping(
    _columns({
        # Data Loader (API names)
        "Id": "Contact ID", "AccountId": "Account ID", "Salutation": "Contact Salutation",
        "FirstName": "Contact First Name", "MiddleName": "Contact Middle Name", "LastName": "Contact Last Name",
        "Title": "Contact Title", "Email": "Contact Work Email", "Phone": "Contact Work Phone",
        "MobilePhone": "Contact Cell Phone", "HomePhone": "Contact Home Phone", "OtherPhone": "Contact Other Phone",
        "AssistantPhone": "Contact Other Phone", "Fax": "Contact Fax", "Description": "Contact Notes",
        "Account.Name": "Account Name", "HasOptedOutOfEmail": "Contact Survey Opt Out",
        # report export (field labels)
        "Contact ID": "Contact ID", "Account ID": "Account ID", "First Name": "Contact First Name",
        "Middle Name": "Contact Middle Name", "Last Name": "Contact Last Name", "Account Name": "Account Name",
        "Mobile": "Contact Cell Phone", "Home Phone": "Contact Home Phone", "Other Phone": "Contact Other Phone",
        "Email Opt Out": "Contact Survey Opt Out",
    }),
    addresses=(_address("MailingStreet", "MailingCity", "MailingState", "MailingPostalCode", "MailingCountry"),
               _address("Mailing Street", "Mailing City", "Mailing State/Province", "Mailing Zip/Postal Code",
                        "Mailing Country"),
               _address("OtherStreet", "OtherCity", "OtherState", "OtherPostalCode", "OtherCountry")),
    source="salesforce",
    repeats=frozenset(fold(h) for h in ("Name", "Full Name")),
)

GENESYS = Mapping({})  # the importer's own columns are Genesys Cloud's bulk-import names

PRESETS = {"google": GOOGLE, "outlook": OUTLOOK, "hubspot": HUBSPOT, "salesforce": SALESFORCE, "genesys": GENESYS}
NAMES = {"google": "a Google Contacts export", "outlook": "an Outlook export", "hubspot": "a HubSpot export",
         "salesforce": "a Salesforce export", "genesys": "a Genesys Cloud export"}
# Headers only that exporter writes: two of them in a file's header recognise it.
_FINGERPRINTS = {
    "google": ("Phone 1 - Value", "Phone 1 - Label", "Phone 1 - Type", "E-mail 1 - Value", "Organization Name",
               "Given Name", "Group Membership", "Address 1 - Formatted", "Labels", "File As"),
    "outlook": ("Business Street", "E-mail Address", "Mobile Phone", "Business Phone", "Home Street", "Job Title",
                "E-mail Display Name", "Company"),
    "hubspot": ("Record ID", "Phone Number", "Lifecycle Stage", "Contact owner", "Mobile Phone Number",
                "Street Address", "State/Region"),
    "salesforce": ("AccountId", "MailingStreet", "FirstName", "LastName", "MobilePhone", "Mailing Street",
                   "Mailing City", "Mailing Zip/Postal Code"),
}


def preset(name: str) -> Mapping:
    try:
        return PRESETS[name.casefold()]
    except KeyError:
        raise ValidationFailed.one("from", name, "must be one of " + ", ".join(PRESETS)) from None


def recognised(header: list[str]) -> str | None:
    """The exporter a file's header looks like, if any."""
    folded = {fold(h.strip()) for h in header}
    scores = {name: sum(fold(h) in folded for h in marks) for name, marks in _FINGERPRINTS.items()}
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best] >= 2 else None
