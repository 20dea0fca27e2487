"""SQLAlchemy models, one module per domain."""

from marketplace.models.accounts import ROLE_ORG_KINDS, Organization, OrgKind, Role, User
from marketplace.models.audit import AuditLog
from marketplace.models.catalog import (
    CollectionCenter,
    DeliveryMode,
    Listing,
    ListingKind,
    ListingRegion,
    ListingStatus,
    ListingValueChain,
)
from marketplace.models.commitments import (
    CommitmentRegion,
    CommitmentStatus,
    Pledge,
    PledgeStatus,
    PriceType,
    PurchaseCommitment,
)
from marketplace.models.consent import Consent, ConsentScope
from marketplace.models.credit import (
    CreditProduct,
    Loan,
    LoanStatus,
    Repayment,
    RepaymentOutcome,
    RepaymentSchedule,
)
from marketplace.models.matching import (
    Assessment,
    Cluster,
    Match,
    MatchingRun,
    MatchStatus,
    RunStatus,
)
from marketplace.models.orders import (
    DeliveryPoint,
    Notification,
    Order,
    OrderStatus,
    PaymentMethod,
)
from marketplace.models.payments import (
    PaymentAccount,
    PaymentStatus,
    PlatformSetting,
    StripeEvent,
)
from marketplace.models.producers import (
    Certification,
    Clearing,
    Farm,
    Gender,
    Producer,
    ValueChain,
)

__all__ = [
    "Assessment",
    "Cluster",
    "Loan",
    "LoanStatus",
    "Match",
    "MatchingRun",
    "MatchStatus",
    "Repayment",
    "RepaymentOutcome",
    "RunStatus",
    "CollectionCenter",
    "CommitmentRegion",
    "CommitmentStatus",
    "DeliveryMode",
    "DeliveryPoint",
    "Listing",
    "ListingKind",
    "ListingRegion",
    "ListingStatus",
    "ListingValueChain",
    "Notification",
    "Order",
    "OrderStatus",
    "PaymentMethod",
    "PaymentAccount",
    "PaymentStatus",
    "PlatformSetting",
    "StripeEvent",
    "Pledge",
    "PledgeStatus",
    "PriceType",
    "PurchaseCommitment",
    "ROLE_ORG_KINDS",
    "AuditLog",
    "Certification",
    "Clearing",
    "Consent",
    "CreditProduct",
    "ConsentScope",
    "Farm",
    "Gender",
    "Organization",
    "OrgKind",
    "Producer",
    "RepaymentSchedule",
    "Role",
    "User",
    "ValueChain",
]
