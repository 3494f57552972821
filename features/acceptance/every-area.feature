Feature: Every business area answers through the front door
  Each of the six business areas takes its first request through the system's public entry
  point, turns away a request that breaks one of its rules with the right kind of refusal and
  the rule's own words, and survives a garbled request: it keeps answering afterwards.

  Scenario Outline: The <area> area takes its first request and enforces its rules
    When the first request of the <area> area is sent
    Then the request is accepted
    When the <area> area is asked to <violation>
    Then the request is refused as <kind> with the message "<message>"
    When a garbled request reaches the <area> area
    Then the request is rejected as invalid with a message starting "failed to decode"
    When the <area> area is asked to <violation>
    Then the request is refused as <kind> with the message "<message>"

    Examples:
      | area        | violation                          | kind                         | message                                                          |
      | cart        | open the same customer's cart again | refused by the current state | Cart already exists                                              |
      | customer    | credit zero points                 | invalid                      | Points must be positive                                          |
      | product     | set a price of zero                | invalid                      | Price must be positive                                           |
      | order       | take a payment of 1 cent           | invalid                      | Payment amount does not match order total: expected 2000, got 1 |
      | inventory   | hold 11 units of 10                | refused by the current state | Insufficient available stock: have 10, need 11                   |
      | fulfillment | pack before picking                | refused by the current state | Shipment is not picked                                           |
