"""All tables, one module per feature. Import from here: `from db.models import Partnership`."""

from db.models.base import metadata, name_key, utcnow
from db.models.register import Event, Membership, Organisation, PartnerOrganisation, Partnership

__all__ = [
    "Event",
    "Membership",
    "Organisation",
    "PartnerOrganisation",
    "Partnership",
    "metadata",
    "name_key",
    "utcnow",
]
