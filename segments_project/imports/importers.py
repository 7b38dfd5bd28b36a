"""The kinds of data `import_data` reads, each with its importer class.

| kind | one row is | key |
|---|---|---|
| categories | a category document (`parentId`) | id |
| products | a product document | id |
| product-categories | `productId`, `categoryId` | the pair |
| customers | a customer document | id |
| legal-entities | a legal entity document | id |
| segments | a segment document | id |
| segment-items | `segmentId`, `type`, `itemId`, `mixins` | segment, type, item |
| segment-customers | `segmentId`, `customerId`, `legalEntityId`, `mixins` | segment, member |

The shared loop (chunks, transactions, counting, dry runs) is in `chunks`.
"""

from __future__ import annotations

from .assignments import ProductCategoryImporter, SegmentCustomerImporter, SegmentItemImporter
from .categories import CategoryImporter
from .chunks import Importer
from .documents import CustomerImporter, LegalEntityImporter, ProductImporter, SegmentImporter

IMPORTERS: dict[str, type[Importer]] = {
    importer.kind: importer
    for importer in (
        CategoryImporter,
        ProductImporter,
        ProductCategoryImporter,
        LegalEntityImporter,
        CustomerImporter,
        SegmentImporter,
        SegmentItemImporter,
        SegmentCustomerImporter,
    )
}
