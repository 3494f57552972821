// Rejection texts of the customer aggregate (example-domains.md §2.2). Tests match them exactly.
export const CUSTOMER_ALREADY_EXISTS = "Customer already exists";
export const CUSTOMER_DOES_NOT_EXIST = "Customer does not exist";
export const CUSTOMER_NAME_REQUIRED = "Customer name is required";
export const CUSTOMER_EMAIL_REQUIRED = "Customer email is required";
export const POINTS_MUST_BE_POSITIVE = "Points must be positive";

export const pointsAlreadyCredited = (reference: string): string =>
  `Points already credited for reference ${reference}`;

export const insufficientPoints = (balance: number, points: number): string =>
  `Insufficient points: have ${balance}, need ${points}`;
