Feature: Customer loyalty account
  A customer registers once with an e-mail address. Purchases earn loyalty points, which can
  later be spent. The balance is what can be spent now; lifetime points count every credit ever
  made and are never lowered by spending.

  Rule: a customer registers once, with a name and an e-mail address

    Scenario: registering records the name and e-mail with no points yet
      Given a customer that is not registered
      When "Alice" registers with the e-mail "alice@example.com"
      Then the customer records "customer created" with:
        | name   | Alice             |
        | e-mail | alice@example.com |
      And the customer now shows:
        | name            | Alice             |
        | e-mail          | alice@example.com |
        | balance         | 0                 |
        | lifetime points | 0                 |

    Scenario Outline: registering is refused when <why>
      Given a customer that is <stage>
      When "<name>" registers with the e-mail "<email>"
      Then it is <verdict> because "<message>"

      Examples:
        | why                                      | stage          | name  | email             | verdict                      | message                    |
        | the e-mail is already registered         | registered     | Alice | alice@example.com | refused by the current state | Customer already exists    |
        | no name is given                         | not registered |       | alice@example.com | rejected as invalid          | Customer name is required  |
        | no e-mail is given                       | not registered | Alice |                   | rejected as invalid          | Customer email is required |
        | neither name nor e-mail is given         | not registered |       |                   | rejected as invalid          | Customer name is required  |
        | the customer exists, whatever the input  | registered     |       |                   | refused by the current state | Customer already exists    |

  Rule: credits raise the balance and the lifetime points

    Scenario: a credit reports the points, the new balance and the reason
      Given a customer that is registered
      When 50 points are credited for "first purchase"
      Then the customer records "loyalty points added" with:
        | points      | 50             |
        | new balance | 50             |
        | reason      | first purchase |
        | reference   | none           |

    Scenario: balances accumulate over credits
      Given a customer that is registered
      And the customer earned 50 points for "first purchase"
      When 30 points are credited for "second purchase"
      Then the customer records "loyalty points added" with:
        | points      | 30 |
        | new balance | 80 |
      And the customer now shows:
        | balance         | 80 |
        | lifetime points | 80 |

    Scenario: a credit under a reference remembers the reference
      Given a customer that is registered
      When 50 points are credited for "Earned from order order-1" under reference "earn:order-1"
      Then the customer records "loyalty points added" with:
        | reference | earn:order-1 |
      And the customer now shows:
        | credited references | earn:order-1 |

    Scenario: a different reference is credited as well
      Given a customer that is credited for order-1
      When 20 points are credited for "Earned from order order-2" under reference "earn:order-2"
      Then the customer records "loyalty points added" with:
        | new balance | 70 |
      And the customer now shows:
        | credited references | earn:order-1, earn:order-2 |

    Scenario: a reference already credited is refused and the balance stays as it was
      Given a customer that is credited for order-1
      When 50 points are credited for "Earned from order order-1" under reference "earn:order-1"
      Then it is refused by the current state because "already credited"
      And the customer now shows:
        | balance | 50 |

    Scenario Outline: crediting points is refused when <why>
      Given a customer that is <stage>
      When <points> points are credited for "<reason>" under reference "<reference>"
      Then it is <verdict> because "<message>"

      Examples:
        | why                                   | stage                | points | reason   | reference    | verdict                      | message                                           |
        | the customer does not exist           | not registered       | 50     | purchase |              | refused by the current state | Customer does not exist                           |
        | the points are zero                   | registered           | 0      | purchase |              | rejected as invalid          | Points must be positive                           |
        | the points are negative               | registered           | -5     | purchase |              | rejected as invalid          | Points must be positive                           |
        | the reference was already credited    | credited for order-1 | 50     | purchase | earn:order-1 | refused by the current state | Points already credited for reference earn:order-1 |
        | zero points under a credited reference | credited for order-1 | 0      | purchase | earn:order-1 | rejected as invalid          | Points must be positive                           |

  Rule: redemptions lower the balance only

    Scenario: redeeming reports the points, the new balance and what they were spent on
      Given a customer that is holding 100 points
      When 50 points are redeemed for "discount"
      Then the customer records "loyalty points redeemed" with:
        | points          | 50       |
        | new balance     | 50       |
        | redemption type | discount |
      And the customer now shows:
        | balance         | 50  |
        | lifetime points | 100 |

    Scenario: the whole balance may be redeemed
      Given a customer that is holding 100 points
      When 100 points are redeemed for "gift card"
      Then the customer records "loyalty points redeemed" with:
        | new balance | 0 |

    Scenario Outline: redeeming points is refused when <why>
      Given a customer that is <stage>
      When <points> points are redeemed for "discount"
      Then it is <verdict> because "<message>"

      Examples:
        | why                                 | stage              | points | verdict                      | message                            |
        | the customer does not exist         | not registered     | 10     | refused by the current state | Customer does not exist            |
        | the points are zero                 | holding 100 points | 0      | rejected as invalid          | Points must be positive            |
        | the points are negative             | holding 100 points | -1     | rejected as invalid          | Points must be positive            |
        | more than the balance is asked for  | holding 100 points | 150    | refused by the current state | Insufficient points: have 100, need 150 |
        | a new customer has no points        | registered         | 1      | refused by the current state | Insufficient points: have 0, need 1 |

  Rule: the account's history rebuilds to its balance and lifetime points

    Scenario: credits and a redemption rebuild to both figures
      Given a customer that is registered
      And the customer earned 100 points for "first purchase"
      And the customer earned 50 points for "refund of order-7"
      And the customer redeemed 120 points for "discount"
      Then replaying the customer's history shows:
        | name            | Alice |
        | balance         | 30    |
        | lifetime points | 150   |

    Scenario: a registered customer rebuilds with no points
      Given a customer that is registered
      Then replaying the customer's history shows:
        | e-mail          | alice@example.com |
        | balance         | 0                 |
        | lifetime points | 0                 |
