import { describe, expect, test } from "bun:test";
import { book } from "../contract/define-bus-contract";
import { bindingKeys, deliveringType, encodeWord, routingKeys } from "./routing";

/** What a RabbitMQ topic binding matches (`*` one word, `#` zero or more). */
function topicMatches(binding: string, key: string): boolean {
  const b = binding.split(".");
  const k = key.split(".");
  const go = (i: number, j: number): boolean => {
    if (i === b.length) return j === k.length;
    if (b[i] === "#") return go(i + 1, j) || (j < k.length && go(i, j + 1));
    if (j === k.length) return false;
    return (b[i] === "*" || b[i] === k[j]) && go(i + 1, j + 1);
  };
  return go(0, 0);
}

const bound = (filter: Parameters<typeof bindingKeys>[0], b: ReturnType<typeof book>) =>
  routingKeys(b).some(({ key }) => bindingKeys(filter).some((binding) => topicMatches(binding, key)));

describe("rabbitmq routing", () => {
  test("words never contain dots or wildcards; the main timeline has a word", () => {
    expect(encodeWord("_projection.order-summary.order")).toBe("_projection%2Eorder-summary%2Eorder");
    expect(encodeWord("a*b#c%")).toBe("a%2Ab%23c%25");
    expect(encodeWord("")).toBe("_");
  });

  test("one routing key per distinct event type, type segments last first", () => {
    const b = book("order", 1, 0, ["shop.order.Created", "shop.order.Paid", "shop.order.Created"]);
    expect(routingKeys(b)).toEqual([
      { type: "shop.order.Created", key: "order._.Created.order.shop" },
      { type: "shop.order.Paid", key: "order._.Paid.order.shop" },
    ]);
    expect(routingKeys(book("order", 1, 0, ["x.Y"], "what-if"))[0]?.key).toBe("order.what-if.Y.x");
  });

  test("bindings let in exactly the books the filter matches", () => {
    const created = book("order", 1, 0, ["shop.order.Created"]);
    const paid = book("order", 1, 1, ["shop.order.Paid"]);
    const other = book("cart", 1, 0, ["shop.order.Created"]);
    const edition = book("order", 2, 0, ["shop.order.Created"], "what-if");
    expect(bound({ domain: "order" }, created)).toBe(true);
    expect(bound({ domain: "order" }, other)).toBe(false);
    expect(bound({ domain: "order" }, edition)).toBe(true);
    expect(bound({}, other)).toBe(true);
    expect(bound({ domain: "order", eventTypes: ["Created"] }, created)).toBe(true);
    expect(bound({ domain: "order", eventTypes: ["order.Created"] }, created)).toBe(true);
    expect(bound({ domain: "order", eventTypes: ["shop.order.Created"] }, created)).toBe(true);
    expect(bound({ domain: "order", eventTypes: ["der.Created"] }, created)).toBe(false);
    expect(bound({ domain: "order", eventTypes: ["Created"] }, paid)).toBe(false);
    expect(bound({ eventTypes: ["Paid"] }, paid)).toBe(true);
  });

  test("a book reaches a subscriber from one copy: the first type it wants", () => {
    const b = book("order", 1, 0, ["s.Created", "s.Paid", "s.Shipped"]);
    expect(deliveringType({ domain: "order" }, b)).toBe("s.Created");
    expect(deliveringType({ eventTypes: ["Shipped", "Paid"] }, b)).toBe("s.Paid");
    expect(deliveringType({ eventTypes: ["Nope"] }, b)).toBeUndefined();
    expect(deliveringType({}, book("order", 1, 0, []))).toBe("");
  });
});
