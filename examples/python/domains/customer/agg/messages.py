"""Error texts of the customer aggregate (example-domains §2.2), exact."""
CUSTOMER_ALREADY_EXISTS = "Customer already exists"
CUSTOMER_DOES_NOT_EXIST = "Customer does not exist"
CUSTOMER_NAME_REQUIRED = "Customer name is required"
CUSTOMER_EMAIL_REQUIRED = "Customer email is required"
POINTS_MUST_BE_POSITIVE = "Points must be positive"


def points_already_credited(reference: str) -> str:
    return f"Points already credited for reference {reference}"


def insufficient_points(balance: int, points: int) -> str:
    return f"Insufficient points: have {balance}, need {points}"
