Feature: Product catalogue
  Each SKU is listed once with a name, a description and a price. Its details and price can
  change while it is on sale; once discontinued it can no longer be changed.

  Rule: a product is listed once, with a SKU, a name and a positive price

    Scenario: listing records SKU, name, description and price
      Given a product that is not listed
      When "SKU-001" is listed as "Widget" described as "A handy widget" at 1000 cents
      Then the product records "product created" with:
        | sku         | SKU-001        |
        | name        | Widget         |
        | description | A handy widget |
        | price       | 1000           |
      And the product now shows:
        | sku    | SKU-001 |
        | price  | 1000    |
        | status | active  |

    Scenario Outline: listing is refused when <why>
      Given a product that is <stage>
      When "<sku>" is listed as "<name>" described as "anything" at <price> cents
      Then it is <verdict> because "<message>"

      Examples:
        | why                                  | stage      | sku     | name   | price | verdict                      | message                  |
        | the SKU is already listed            | listed     | SKU-001 | Widget | 1000  | refused by the current state | Product already exists   |
        | no SKU is given                      | not listed |         | Widget | 1000  | rejected as invalid          | Product SKU is required  |
        | no name is given                     | not listed | SKU-001 |        | 1000  | rejected as invalid          | Product name is required |
        | the price is zero                    | not listed | SKU-001 | Widget | 0     | rejected as invalid          | Price must be positive   |
        | the price is negative                | not listed | SKU-001 | Widget | -100  | rejected as invalid          | Price must be positive   |
        | it exists, whatever the input        | listed     |         |        | 0     | refused by the current state | Product already exists   |
        | SKU and name are both missing        | not listed |         |        | 1000  | rejected as invalid          | Product SKU is required  |
        | the name is missing and price zero   | not listed | SKU-001 |        | 0     | rejected as invalid          | Product name is required |

  Rule: a product on sale can be renamed and redescribed

    Scenario: updating changes the name and the description
      Given a product that is listed
      When the product is renamed to "Widget Pro" described as "An even handier widget"
      Then the product records "product updated" with:
        | name        | Widget Pro             |
        | description | An even handier widget |
      And the product now shows:
        | name        | Widget Pro             |
        | description | An even handier widget |
        | price       | 1000                   |

    Scenario Outline: updating is refused when <why>
      Given a product that is <stage>
      When the product is renamed to "<name>" described as "anything"
      Then it is <verdict> because "<message>"

      Examples:
        | why                                   | stage        | name       | verdict                      | message                  |
        | the product does not exist            | not listed   | Widget Pro | refused by the current state | Product does not exist   |
        | the product is discontinued           | discontinued | Widget Pro | refused by the current state | Product is discontinued  |
        | no name is given                      | listed       |            | rejected as invalid          | Product name is required |
        | discontinued and no name given        | discontinued |            | refused by the current state | Product is discontinued  |

  Rule: a new price is stated together with the price it replaces

    Scenario: setting a price reports the new and the previous price
      Given a product that is listed
      When its price is changed to 1500 cents
      Then the product records "price set" with:
        | price          | 1500 |
        | previous price | 1000 |
      And the product now shows:
        | price | 1500 |

    Scenario: the previous price follows earlier changes
      Given a product that is listed
      And its price was changed to 1500 cents
      When its price is changed to 1200 cents
      Then the product records "price set" with:
        | price          | 1200 |
        | previous price | 1500 |

    Scenario Outline: setting a price is refused when <why>
      Given a product that is <stage>
      When its price is changed to <price> cents
      Then it is <verdict> because "<message>"

      Examples:
        | why                                 | stage        | price | verdict                      | message                 |
        | the product does not exist          | not listed   | 1500  | refused by the current state | Product does not exist  |
        | the product is discontinued         | discontinued | 1500  | refused by the current state | Product is discontinued |
        | the price is zero                   | listed       | 0     | rejected as invalid          | Price must be positive  |
        | the price is negative               | listed       | -100  | rejected as invalid          | Price must be positive  |
        | discontinued and a negative price   | discontinued | -100  | refused by the current state | Product is discontinued |

  Rule: discontinuing retires a product for good

    Scenario: discontinuing records the reason
      Given a product that is listed
      When the product is discontinued because "replaced by a newer model"
      Then the product records "product discontinued" with:
        | reason | replaced by a newer model |
      And the product now shows:
        | status | discontinued |

    Scenario Outline: discontinuing is refused when <why>
      Given a product that is <stage>
      When the product is discontinued because "end of line"
      Then it is <verdict> because "<message>"

      Examples:
        | why                             | stage        | verdict                      | message                         |
        | the product does not exist      | not listed   | refused by the current state | Product does not exist          |
        | it is already discontinued      | discontinued | refused by the current state | Product is already discontinued |

  Rule: the product's history rebuilds to its latest details

    Scenario: a listing followed by a price change
      Given a product that is listed
      And its price was changed to 1500 cents
      Then replaying the product's history shows:
        | sku    | SKU-001 |
        | name   | Widget  |
        | price  | 1500    |
        | status | active  |

    Scenario: a discontinued product
      Given a product that is discontinued
      Then replaying the product's history shows:
        | price  | 1000         |
        | status | discontinued |

    Scenario: a renamed product
      Given a product that is listed
      And it was renamed to "Widget Pro" described as "An even handier widget"
      Then replaying the product's history shows:
        | name        | Widget Pro             |
        | description | An even handier widget |
        | price       | 1000                   |
        | status      | active                 |
