"""The Reader's structure tree (PDF tags) once pypdf has put the notes' own pages in place.

WeasyPrint writes the generated pages as a tagged PDF (`pdf/ua-1`): a /StructTreeRoot whose
/Document element holds the headings, lists, tables and links, a flat /ParentTree keyed by
each page's /StructParents (then by each link's /StructParent), /MarkInfo /Marked true, /Lang
and /ViewerPreferences /DisplayDocTitle true. What pypdf's page insertion keeps of a note:

- kept: the page, its content stream (with any marked-content /MCID operators), resources and
  annotations (links keep their /StructParent number, which means nothing in the Reader);
- lost: the note's /StructTreeRoot (with its /RoleMap, /ClassMap and /ParentTree), its /Lang,
  /MarkInfo, outline and metadata; pypdf also drops /StructParents from the page and from
  everything it copies with it (form XObjects included), so its marked content is tied to no
  element (content tagged inside a form XObject stays untied even when the note is grafted);
- left dangling: the Reader's elements of the replaced placeholder pages (their /Pg is a page
  no longer in the file) and their /ParentTree entries.

`settle_note_tags` repairs that. The placeholders' elements and entries are removed. A note
that is itself tagged (a /StructTreeRoot whose /ParentTree covers each of its pages' numbers)
has its structure elements copied under a /Part element (titled with the note's title, with
the /Lang of the note's file, else the note's language) at
the placeholder's place in the reading order; its pages and links get fresh /StructParents
numbers in the Reader's /ParentTree, and its role map entries are added where they do not
clash. A note that is not tagged, or whose tree is not in that shape, stays untagged content
(not /Artifact, so that a screen reader still reads it as text; its links lose their
/StructParent) and the file then drops its PDF/UA identification, which it would no longer
meet.
"""

from __future__ import annotations

from dataclasses import dataclass

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

PDFUA_CLAIM = b'<rdf:Description rdf:about="" pdfuaid:part="1" />'


@dataclass
class NoteTags:
    """One note's pages in the Reader: the placeholders they replaced and their own tags."""

    title: str
    language: str
    source: PdfReader
    placeholder_ids: set[int]
    placeholder_keys: set[int]
    pages: list  # the writer's PageObjects of the note, in order
    part: DictionaryObject | None = None  # the grafted /Part, if the note was tagged


def settle_note_tags(writer: PdfWriter, notes: list[NoteTags]) -> int:
    """Graft the tagged notes, drop the placeholders' tags; the number of notes grafted."""
    root = writer.root_object.get("/StructTreeRoot")
    if root is None:
        return 0
    tree = root.get_object()
    nums = tree["/ParentTree"].get_object()["/Nums"]
    for note in notes:
        note.part = _graft(writer, tree, nums, note)
        if note.part is None:
            _untie_links(note)
    _drop_placeholders(tree, nums, notes)
    if not all(note.part is not None for note in notes):
        _drop_pdfua_claim(writer)
    return sum(1 for note in notes if note.part is not None)


def _untie_links(note: NoteTags) -> None:
    """An untagged note's links lose the /StructParent numbers of their own file."""
    for page in note.pages:
        annots = page.get("/Annots")
        for annot in annots.get_object() if annots is not None else []:
            annot = annot.get_object()
            if "/StructParent" in annot:
                del annot["/StructParent"]


def _number_tree(node, found: dict[int, object], depth: int = 0) -> dict[int, object]:
    if depth > 32:
        raise ValueError("number tree too deep")
    node = node.get_object()
    entries = node.get("/Nums", [])
    for i in range(0, len(entries) - 1, 2):
        found[int(entries[i])] = entries[i + 1]
    for kid in node.get("/Kids", []):
        _number_tree(kid, found, depth + 1)
    return found


def _graft(writer: PdfWriter, tree, nums: ArrayObject, note: NoteTags) -> DictionaryObject | None:
    """Copy the note's structure elements under a /Part; None if it is not (soundly) tagged."""
    try:
        source = note.source.trailer["/Root"].get("/StructTreeRoot")
        if source is None:
            return None
        source = source.get_object()
        parents = _number_tree(source["/ParentTree"], {})
        page_keys = [page.get("/StructParents") for page in note.source.pages]
        if any(key is None or int(key) not in parents for key in page_keys):
            return None
        kids = _kids(source)
        if not kids or any(kid is None for kid in kids):
            return None
        language = note.source.trailer["/Root"].get("/Lang")
        roles = source.get("/RoleMap")
        roles = roles.get_object() if roles is not None else DictionaryObject()
        ours = tree.get("/RoleMap")
        ours = ours.get_object() if ours is not None else DictionaryObject()
        if any(name in ours and ours[name] != value for name, value in roles.items()):
            return None
        # Cloning through the writer maps the note's pages (and their links) to the copies
        # pypdf already inserted, so /Pg and /OBJR /Obj point into the Reader.
        copies = [kid.clone(writer, ignore_fields=("/P",)) for kid in kids]
        entries = {key: value.clone(writer, ignore_fields=("/P",))
                   for key, value in parents.items()}
    except (PdfReadError, KeyError, TypeError, ValueError, AttributeError, RecursionError):
        return None
    part = DictionaryObject({
        NameObject("/Type"): NameObject("/StructElem"),
        NameObject("/S"): NameObject("/Part"),
        NameObject("/T"): TextStringObject(note.title),
        NameObject("/Lang"): TextStringObject(str(language or note.language)),
        NameObject("/K"): ArrayObject(copies),
    })
    part_ref = writer._add_object(part)
    for copy in copies:
        _set_parents(copy, part_ref)
    _renumber(tree, nums, note, page_keys, entries)
    if roles:
        for name, value in roles.items():
            ours[NameObject(name)] = value
        tree[NameObject("/RoleMap")] = ours
    return part


def _kids(node) -> list:
    """The /K of a structure node as a list (it may be one kid, an array, or indirect)."""
    kids = node.get("/K")
    if kids is None:
        return []
    resolved = kids.get_object()
    return list(resolved) if isinstance(resolved, ArrayObject) else [kids]


def _set_parents(element, parent_ref, depth: int = 0) -> None:
    """Give every copied structure element its /P again (the copy left them out)."""
    node = element.get_object()
    if depth > 256 or not isinstance(node, DictionaryObject) or "/S" not in node:
        return
    node[NameObject("/P")] = parent_ref
    kids = _kids(node)
    own = element if hasattr(element, "idnum") else node.indirect_reference
    for kid in kids:
        if kid is not None and hasattr(kid, "get_object"):
            _set_parents(kid, own, depth + 1)


def _renumber(tree, nums: ArrayObject, note: NoteTags, page_keys: list, entries: dict) -> None:
    """Fresh /StructParents numbers for the note's pages and links, in the Reader's tree."""
    next_key = int(tree.get("/ParentTreeNextKey", 0))
    next_key = max([next_key] + [int(nums[i]) + 1 for i in range(0, len(nums), 2)])
    for page, old in zip(note.pages, page_keys, strict=True):
        page[NameObject("/StructParents")] = NumberObject(next_key)
        page[NameObject("/Tabs")] = NameObject("/S")
        nums.extend([NumberObject(next_key), entries[int(old)]])
        next_key += 1
        annots = page.get("/Annots")
        for annot in annots.get_object() if annots is not None else []:
            annot = annot.get_object()
            old_annot = annot.get("/StructParent")
            if old_annot is None:
                continue
            if int(old_annot) in entries:
                annot[NameObject("/StructParent")] = NumberObject(next_key)
                nums.extend([NumberObject(next_key), entries[int(old_annot)]])
                next_key += 1
            else:
                del annot["/StructParent"]
    tree[NameObject("/ParentTreeNextKey")] = NumberObject(next_key)


def _drop_placeholders(tree, nums: ArrayObject, notes: list[NoteTags]) -> None:
    """Remove the elements on replaced placeholder pages (a grafted note's /Part takes the
    place of its first one) and the placeholders' /ParentTree entries."""
    placed = {}
    gone: set[int] = set()
    keys: set[int] = set()
    for note in notes:
        gone |= note.placeholder_ids
        keys |= note.placeholder_keys
        if note.part is not None:
            placed[min(note.placeholder_ids)] = note.part
    pending = [tree]
    while pending:
        node = pending.pop().get_object()
        kids = node.get("/K")
        if not isinstance(kids, ArrayObject):
            continue
        kept = ArrayObject()
        for kid in kids:
            element = kid.get_object() if hasattr(kid, "get_object") else kid
            page = element.get("/Pg") if isinstance(element, DictionaryObject) else None
            if page is not None and getattr(page, "idnum", None) in gone and "/S" in element:
                part = placed.pop(page.idnum, None)
                if part is not None:
                    part[NameObject("/P")] = node.indirect_reference
                    kept.append(part.indirect_reference)
                continue
            kept.append(kid)
            if isinstance(element, DictionaryObject) and "/S" in element:
                pending.append(element)
        node[NameObject("/K")] = kept
    for part in placed.values():  # the placeholder had no element: append at the end
        document = tree["/K"][0].get_object()
        part[NameObject("/P")] = document.indirect_reference
        document["/K"].append(part.indirect_reference)
    pairs = [(nums[i], nums[i + 1]) for i in range(0, len(nums) - 1, 2)
             if int(nums[i]) not in keys]
    nums.clear()
    for key, value in pairs:
        nums.extend([key, value])


def _drop_pdfua_claim(writer: PdfWriter) -> None:
    """The XMP metadata no longer says PDF/UA-1: untagged note pages do not meet it."""
    metadata = writer.root_object.get("/Metadata")
    if metadata is None:
        return
    stream = metadata.get_object()
    data = stream.get_data()
    if PDFUA_CLAIM in data:
        stream.set_data(data.replace(PDFUA_CLAIM, b""))
