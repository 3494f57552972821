// Rejection texts of the product aggregate (example-domains.md §2.3). Tests match them exactly.
export const PRODUCT_ALREADY_EXISTS = "Product already exists";
export const PRODUCT_DOES_NOT_EXIST = "Product does not exist";
export const PRODUCT_IS_DISCONTINUED = "Product is discontinued";
export const PRODUCT_ALREADY_DISCONTINUED = "Product is already discontinued";
export const PRODUCT_SKU_REQUIRED = "Product SKU is required";
export const PRODUCT_NAME_REQUIRED = "Product name is required";
export const PRICE_MUST_BE_POSITIVE = "Price must be positive";
