"""Functions on angzarr.EventBook."""
from angzarr import types_pb2


def next_sequence(book: types_pb2.EventBook | None) -> int:
    """Last numbered page + 1 (counting later unnumbered pages), else snapshot + 1, else 0."""
    if book is None:
        return 0
    pages = book.pages
    for i in range(len(pages) - 1, -1, -1):
        if pages[i].WhichOneof("sequence") == "num":
            return pages[i].num + (len(pages) - i)
    base = book.snapshot.sequence + 1 if book.HasField("snapshot") else 0
    return base + len(pages)


def page_sequence(page: types_pb2.EventPage) -> int:
    """The page's number, or -1 when it has none."""
    return page.num if page.WhichOneof("sequence") == "num" else -1
