// Every row of the product rule table (example-domains.md §2.3): code and exact message, plus
// the check order where two rules could both fail.
import { describe, expect, test } from "bun:test";
import {
  CreateProductSchema,
  DiscontinueSchema,
  SetPriceSchema,
  UpdateProductSchema,
} from "@angzarr/proto/examples.ts";
import { Code, expectRejection, spec } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { productAggregate } from "./aggregate";
import { discontinued, productCreated, SKU } from "./fixtures";
import * as M from "./messages";

interface Row {
  rule: string;
  given: Message[];
  when: Message;
  code: Code;
  message: string;
}

const created = productCreated();
const gone = [created, discontinued()];
const createProduct = (sku: string, name: string, priceCents: number) =>
  create(CreateProductSchema, { sku, name, description: "d", priceCents });
const update = (name: string) => create(UpdateProductSchema, { name, description: "New" });
const setPrice = (priceCents: number) => create(SetPriceSchema, { priceCents });
const discontinue = () => create(DiscontinueSchema, { reason: "End of line" });
const FP = Code.FailedPrecondition;
const IA = Code.InvalidArgument;

const rows: Row[] = [
  // CreateProduct
  {
    rule: "CreateProduct: exists",
    given: [created],
    when: createProduct(SKU, "Widget", 1000),
    code: FP,
    message: M.PRODUCT_ALREADY_EXISTS,
  },
  {
    rule: "CreateProduct: sku empty",
    given: [],
    when: createProduct("", "Widget", 1000),
    code: IA,
    message: M.PRODUCT_SKU_REQUIRED,
  },
  {
    rule: "CreateProduct: name empty",
    given: [],
    when: createProduct(SKU, "", 1000),
    code: IA,
    message: M.PRODUCT_NAME_REQUIRED,
  },
  {
    rule: "CreateProduct: price 0",
    given: [],
    when: createProduct(SKU, "Widget", 0),
    code: IA,
    message: M.PRICE_MUST_BE_POSITIVE,
  },
  {
    rule: "CreateProduct: price negative",
    given: [],
    when: createProduct(SKU, "Widget", -1),
    code: IA,
    message: M.PRICE_MUST_BE_POSITIVE,
  },
  // UpdateProduct
  {
    rule: "UpdateProduct: not exists",
    given: [],
    when: update("New name"),
    code: FP,
    message: M.PRODUCT_DOES_NOT_EXIST,
  },
  {
    rule: "UpdateProduct: discontinued",
    given: gone,
    when: update("New name"),
    code: FP,
    message: M.PRODUCT_IS_DISCONTINUED,
  },
  {
    rule: "UpdateProduct: name empty",
    given: [created],
    when: update(""),
    code: IA,
    message: M.PRODUCT_NAME_REQUIRED,
  },
  // SetPrice
  {
    rule: "SetPrice: not exists",
    given: [],
    when: setPrice(1500),
    code: FP,
    message: M.PRODUCT_DOES_NOT_EXIST,
  },
  {
    rule: "SetPrice: discontinued",
    given: gone,
    when: setPrice(1500),
    code: FP,
    message: M.PRODUCT_IS_DISCONTINUED,
  },
  {
    rule: "SetPrice: price 0",
    given: [created],
    when: setPrice(0),
    code: IA,
    message: M.PRICE_MUST_BE_POSITIVE,
  },
  {
    rule: "SetPrice: price negative",
    given: [created],
    when: setPrice(-100),
    code: IA,
    message: M.PRICE_MUST_BE_POSITIVE,
  },
  // Discontinue
  {
    rule: "Discontinue: not exists",
    given: [],
    when: discontinue(),
    code: FP,
    message: M.PRODUCT_DOES_NOT_EXIST,
  },
  {
    rule: "Discontinue: already discontinued",
    given: gone,
    when: discontinue(),
    code: FP,
    message: M.PRODUCT_ALREADY_DISCONTINUED,
  },
  // Check order: the first failing rule wins.
  {
    rule: "order: exists before sku",
    given: [created],
    when: createProduct("", "", 0),
    code: FP,
    message: M.PRODUCT_ALREADY_EXISTS,
  },
  {
    rule: "order: sku before name",
    given: [],
    when: createProduct("", "", 0),
    code: IA,
    message: M.PRODUCT_SKU_REQUIRED,
  },
  {
    rule: "order: name before price",
    given: [],
    when: createProduct(SKU, "", 0),
    code: IA,
    message: M.PRODUCT_NAME_REQUIRED,
  },
  {
    rule: "order: discontinued before name",
    given: gone,
    when: update(""),
    code: FP,
    message: M.PRODUCT_IS_DISCONTINUED,
  },
  {
    rule: "order: discontinued before price",
    given: gone,
    when: setPrice(0),
    code: FP,
    message: M.PRODUCT_IS_DISCONTINUED,
  },
];

describe("product rule table", () => {
  for (const row of rows) {
    test(`${row.rule} → ${Code[row.code]} "${row.message}"`, () => {
      const outcome = spec(productAggregate)
        .given(...row.given)
        .when(row.when);
      expectRejection(outcome, row.code, row.message);
      expect(outcome.error?.rawMessage).toBe(row.message);
      expect(outcome.events).toEqual([]);
    });
  }
});
