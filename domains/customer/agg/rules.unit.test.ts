// Every row of the customer rule table (example-domains.md §2.2): code and exact message, plus
// the check order where two rules could both fail.
import { describe, expect, test } from "bun:test";
import {
  AddLoyaltyPointsSchema,
  CreateCustomerSchema,
  RedeemLoyaltyPointsSchema,
} from "@angzarr/proto/examples.ts";
import { Code, expectRejection, spec } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { customerAggregate } from "./aggregate";
import { customerCreated, EMAIL, NAME, pointsAdded } from "./fixtures";
import * as M from "./messages";

interface Row {
  rule: string;
  given: Message[];
  when: Message;
  code: Code;
  message: string;
}

const created = customerCreated();
const withPoints = [created, pointsAdded(100, 100, "earn:order-1")];
const createCustomer = (name: string, email: string) => create(CreateCustomerSchema, { name, email });
const addPoints = (points: number, reference = "") =>
  create(AddLoyaltyPointsSchema, { points, reason: "Bonus", reference });
const redeem = (points: number) => create(RedeemLoyaltyPointsSchema, { points, redemptionType: "discount" });
const FP = Code.FailedPrecondition;
const IA = Code.InvalidArgument;

const rows: Row[] = [
  // CreateCustomer
  {
    rule: "CreateCustomer: exists",
    given: [created],
    when: createCustomer(NAME, EMAIL),
    code: FP,
    message: M.CUSTOMER_ALREADY_EXISTS,
  },
  {
    rule: "CreateCustomer: name empty",
    given: [],
    when: createCustomer("", EMAIL),
    code: IA,
    message: M.CUSTOMER_NAME_REQUIRED,
  },
  {
    rule: "CreateCustomer: email empty",
    given: [],
    when: createCustomer(NAME, ""),
    code: IA,
    message: M.CUSTOMER_EMAIL_REQUIRED,
  },
  // AddLoyaltyPoints
  {
    rule: "AddLoyaltyPoints: not exists",
    given: [],
    when: addPoints(50),
    code: FP,
    message: M.CUSTOMER_DOES_NOT_EXIST,
  },
  {
    rule: "AddLoyaltyPoints: points 0",
    given: [created],
    when: addPoints(0),
    code: IA,
    message: M.POINTS_MUST_BE_POSITIVE,
  },
  {
    rule: "AddLoyaltyPoints: points negative",
    given: [created],
    when: addPoints(-10),
    code: IA,
    message: M.POINTS_MUST_BE_POSITIVE,
  },
  {
    rule: "AddLoyaltyPoints: reference already credited",
    given: withPoints,
    when: addPoints(100, "earn:order-1"),
    code: FP,
    message: "Points already credited for reference earn:order-1",
  },
  // RedeemLoyaltyPoints
  {
    rule: "RedeemLoyaltyPoints: not exists",
    given: [],
    when: redeem(10),
    code: FP,
    message: M.CUSTOMER_DOES_NOT_EXIST,
  },
  {
    rule: "RedeemLoyaltyPoints: points 0",
    given: withPoints,
    when: redeem(0),
    code: IA,
    message: M.POINTS_MUST_BE_POSITIVE,
  },
  {
    rule: "RedeemLoyaltyPoints: points negative",
    given: withPoints,
    when: redeem(-5),
    code: IA,
    message: M.POINTS_MUST_BE_POSITIVE,
  },
  {
    rule: "RedeemLoyaltyPoints: points above balance",
    given: withPoints,
    when: redeem(150),
    code: FP,
    message: "Insufficient points: have 100, need 150",
  },
  {
    rule: "RedeemLoyaltyPoints: nothing to redeem",
    given: [created],
    when: redeem(1),
    code: FP,
    message: "Insufficient points: have 0, need 1",
  },
  // Check order: the first failing rule wins.
  {
    rule: "order: exists before name",
    given: [created],
    when: createCustomer("", ""),
    code: FP,
    message: M.CUSTOMER_ALREADY_EXISTS,
  },
  {
    rule: "order: name before email",
    given: [],
    when: createCustomer("", ""),
    code: IA,
    message: M.CUSTOMER_NAME_REQUIRED,
  },
  {
    rule: "order: existence before points",
    given: [],
    when: addPoints(0, "x"),
    code: FP,
    message: M.CUSTOMER_DOES_NOT_EXIST,
  },
  {
    rule: "order: points before reference",
    given: withPoints,
    when: addPoints(0, "earn:order-1"),
    code: IA,
    message: M.POINTS_MUST_BE_POSITIVE,
  },
  {
    rule: "order: points before balance",
    given: [created],
    when: redeem(0),
    code: IA,
    message: M.POINTS_MUST_BE_POSITIVE,
  },
];

describe("customer rule table", () => {
  for (const row of rows) {
    test(`${row.rule} → ${Code[row.code]} "${row.message}"`, () => {
      const outcome = spec(customerAggregate)
        .given(...row.given)
        .when(row.when);
      expectRejection(outcome, row.code, row.message);
      expect(outcome.error?.rawMessage).toBe(row.message);
      expect(outcome.events).toEqual([]);
    });
  }
});
