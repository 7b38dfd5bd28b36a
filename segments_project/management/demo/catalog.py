"""The demo catalog: a category tree three levels deep and three dozen products in it."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.services.assignments import category_assignments_upsert_bulk
from catalog.services.categories import category_upsert
from catalog.services.products import product_upsert

from .context import DemoContext, created_count, summary


@dataclass(frozen=True)
class DemoCategory:
    id: str
    en: str
    de: str
    parent: str | None = None


@dataclass(frozen=True)
class DemoProduct:
    id: str  # also its code (SKU)
    en: str
    de: str
    category: str


# Parents before their children, so each upsert finds its parent.
CATEGORIES: list[DemoCategory] = [
    DemoCategory("electronics", "Electronics", "Elektronik"),
    DemoCategory("audio", "Audio", "Audio", "electronics"),
    DemoCategory("headphones", "Headphones", "Kopfhörer", "audio"),
    DemoCategory("speakers", "Speakers", "Lautsprecher", "audio"),
    DemoCategory("computers", "Computers", "Computer", "electronics"),
    DemoCategory("laptops", "Laptops", "Laptops", "computers"),
    DemoCategory("accessories", "Accessories", "Zubehör", "computers"),
    DemoCategory("apparel", "Apparel", "Bekleidung"),
    DemoCategory("women", "Women", "Damen", "apparel"),
    DemoCategory("dresses", "Dresses", "Kleider", "women"),
    DemoCategory("men", "Men", "Herren", "apparel"),
    DemoCategory("jackets", "Jackets", "Jacken", "men"),
    DemoCategory("shoes", "Shoes", "Schuhe", "apparel"),
    DemoCategory("home", "Home & Garden", "Haus & Garten"),
    DemoCategory("kitchen", "Kitchen", "Küche", "home"),
    DemoCategory("garden", "Garden", "Garten", "home"),
]

PRODUCTS: list[DemoProduct] = [
    DemoProduct("HP-100", "Studio Headphones", "Studiokopfhörer", "headphones"),
    DemoProduct("HP-200", "Wireless Earbuds", "Kabellose Ohrhörer", "headphones"),
    DemoProduct("HP-300", "ANC Headphones", "ANC-Kopfhörer", "headphones"),
    DemoProduct("HP-400", "Kids' Headphones", "Kinderkopfhörer", "headphones"),
    DemoProduct("SP-100", "Bluetooth Speaker", "Bluetooth-Lautsprecher", "speakers"),
    DemoProduct("SP-200", "Soundbar", "Soundbar", "speakers"),
    DemoProduct("SP-300", "Bookshelf Speakers", "Regallautsprecher", "speakers"),
    DemoProduct("LT-100", "Ultrabook 13", "Ultrabook 13", "laptops"),
    DemoProduct("LT-200", "Workstation 15", "Workstation 15", "laptops"),
    DemoProduct("LT-300", "Student Laptop 14", "Studenten-Laptop 14", "laptops"),
    DemoProduct("AC-100", "Wireless Mouse", "Kabellose Maus", "accessories"),
    DemoProduct("AC-200", "Mechanical Keyboard", "Mechanische Tastatur", "accessories"),
    DemoProduct("AC-300", "USB-C Dock", "USB-C-Dockingstation", "accessories"),
    DemoProduct("AC-400", "Laptop Sleeve", "Laptophülle", "accessories"),
    DemoProduct("DR-100", "Summer Dress", "Sommerkleid", "dresses"),
    DemoProduct("DR-200", "Evening Dress", "Abendkleid", "dresses"),
    DemoProduct("DR-300", "Linen Shirt Dress", "Leinen-Blusenkleid", "dresses"),
    DemoProduct("JK-100", "Rain Jacket", "Regenjacke", "jackets"),
    DemoProduct("JK-200", "Down Jacket", "Daunenjacke", "jackets"),
    DemoProduct("JK-300", "Denim Jacket", "Jeansjacke", "jackets"),
    DemoProduct("SH-100", "Running Shoes", "Laufschuhe", "shoes"),
    DemoProduct("SH-200", "Leather Boots", "Lederstiefel", "shoes"),
    DemoProduct("SH-300", "Canvas Sneakers", "Leinenturnschuhe", "shoes"),
    DemoProduct("SH-400", "Hiking Boots", "Wanderstiefel", "shoes"),
    DemoProduct("KT-100", "Espresso Machine", "Espressomaschine", "kitchen"),
    DemoProduct("KT-200", "Chef's Knife", "Kochmesser", "kitchen"),
    DemoProduct("KT-300", "Cast Iron Pan", "Gusseisenpfanne", "kitchen"),
    DemoProduct("KT-400", "Kettle", "Wasserkocher", "kitchen"),
    DemoProduct("GD-100", "Garden Hose", "Gartenschlauch", "garden"),
    DemoProduct("GD-200", "Pruning Shears", "Gartenschere", "garden"),
    DemoProduct("GD-300", "Deck Chair", "Liegestuhl", "garden"),
    DemoProduct("GD-400", "Watering Can", "Gießkanne", "garden"),
]


def category_document(category: DemoCategory) -> dict:
    document = {
        "localizedName": {"en": category.en, "de": category.de},
        "code": category.id.upper(),
        "published": True,
    }
    if category.parent is not None:
        document["parentId"] = category.parent
    return document


def product_document(product: DemoProduct) -> dict:
    return {"code": product.id, "name": {"en": product.en, "de": product.de}, "published": True}


def load_categories(ctx: DemoContext) -> str:
    created = [
        category_upsert(
            tenant=ctx.tenant, category_id=category.id, document=category_document(category)
        )[1]
        for category in CATEGORIES
    ]
    return summary("categories", len(created), sum(created))


def load_products(ctx: DemoContext) -> str:
    created = [
        product_upsert(
            tenant=ctx.tenant, product_id=product.id, document=product_document(product)
        )[1]
        for product in PRODUCTS
    ]
    return summary("products", len(created), sum(created))


def load_product_categories(ctx: DemoContext) -> str:
    """Each product in its category (an existing placement is left as it is)."""
    created = 0
    for category in CATEGORIES:
        references = [{"ref": {"id": p.id}} for p in PRODUCTS if p.category == category.id]
        if references:
            created += created_count(
                category_assignments_upsert_bulk(
                    tenant=ctx.tenant, category_id=category.id, documents=references
                )
            )
    return summary("products in categories", len(PRODUCTS), created)
