"""A tiny Confluence site in Atlassian's documented v1/v2 shapes, served by :class:`FakeConfluence`.

Space ENG (id 10): pages 100 (root) > 101 > 103, and 102 (root); blog post 200; folder 500;
comments 300 (page 100), 301 (blog 200), 302 (reply on page 101); attachments 400 notes.txt
(page 100), 401 big.pdf (blog 200, 50 MB), 402 diagram.png (page 101), 403 spec.txt (page 102),
404 on an archived page 104. Space OPS (id 20): page 600.

The search route understands just the CQL the connector sends (``type``, ``space``, ``id``/
``ancestor`` in/not in) and records every query.
"""

from __future__ import annotations

import re

from .fake import FakeConfluence, Reply

USER = {"type": "known", "accountId": "557058:ann", "displayName": "Ann Lee"}
USER2 = {"type": "known", "accountId": "557058:bob", "displayName": "Bob Roe"}


def _space(key):
    return {
        "ENG": {"id": 10, "key": "ENG", "name": "Engineering"},
        "OPS": {"id": 20, "key": "OPS", "name": "Ops"},
    }[key]


def content(cid, kind, title, space="ENG", *, ancestors=(), container=None, body=None, created="2024-01-01T10:00:00.000Z",
            updated="2024-03-01T10:00:00.000Z", labels=(), extensions=None, status="current", download=None):  # fmt: skip
    item = {
        "id": str(cid),
        "type": kind,
        "status": status,
        "title": title,
        "space": _space(space),
        "history": {"createdBy": USER, "createdDate": created},
        "version": {"by": USER2, "when": updated, "number": 3},
        "ancestors": [{"id": str(a), "type": t, "title": n} for a, t, n in ancestors],
        "metadata": {"labels": {"results": [{"prefix": "global", "name": n, "id": "1"} for n in labels]}},
        "extensions": extensions or {},
        "_links": {"webui": f"/spaces/{space}/{kind}s/{cid}/{title.replace(' ', '+')}"},
    }
    if body is not None:
        item["body"] = {"storage": {"value": body, "representation": "storage"}}
    if container:
        cid2, ctype, ctitle, *rest = container
        item["container"] = {
            "id": str(cid2),
            "type": ctype,
            "title": ctitle,
            "status": rest[0] if rest else "current",
        }
    if download:
        item["_links"]["download"] = download
    return item


H100 = (100, "page", "Home")
H101 = (101, "page", "Child")

PAGES = [
    content(100, "page", "Home", body="<p>Welcome <strong>home</strong></p>", labels=("runbook",)),
    content(
        101, "page", "Child", ancestors=[H100], body="<p>child body</p>", created="2024-02-10T10:00:00.000Z"
    ),
    content(
        102,
        "page",
        "Other root",
        body="<p>other</p>",
        created="2023-06-01T00:00:00.000Z",
        updated="2023-07-01T00:00:00.000Z",
    ),  # fmt: skip
    content(103, "page", "Grandchild", ancestors=[H100, H101], body="<p>grand</p>"),
]
BLOGS = [
    content(
        200,
        "blogpost",
        "News",
        body="<p>news <ac:image><ri:attachment ri:filename='diagram.png'/></ac:image></p>",
    )
]
FOLDERS = [content(500, "folder", "Designs", ancestors=[H100])]
COMMENTS = [
    content(300, "comment", "Re: Home", body="<p>first!</p>", container=(100, "page", "Home")),
    content(301, "comment", "Re: News", body="<p>nice news</p>", container=(200, "blogpost", "News")),
    content(
        302,
        "comment",
        "Re: Child",
        body="<p>reply</p>",
        container=(101, "page", "Child"),
        ancestors=[(300, "comment", "Re: Home")],
    ),  # fmt: skip
    content(
        305, "comment", "Re: Archived", body="<p>old</p>", container=(104, "page", "Archived", "archived")
    ),
]
NOTES = b"Meeting notes\nsecond line\n"
ATTACHMENTS = [
    content(
        400,
        "attachment",
        "notes.txt",
        container=(100, "page", "Home"),
        extensions={"mediaType": "text/plain", "fileSize": len(NOTES)},
        download="/download/attachments/100/notes.txt?version=1&api=v2",
    ),  # fmt: skip
    content(
        401,
        "attachment",
        "big.pdf",
        container=(200, "blogpost", "News"),
        extensions={"mediaType": "application/pdf", "fileSize": 50 * 1024 * 1024},
        download="/download/attachments/200/big.pdf",
    ),  # fmt: skip
    content(
        402,
        "attachment",
        "diagram.png",
        container=(101, "page", "Child"),
        extensions={"mediaType": "image/png", "fileSize": 2048},
        download="/download/attachments/101/diagram.png",
    ),  # fmt: skip
    content(
        403,
        "attachment",
        "spec.txt",
        container=(102, "page", "Other root"),
        extensions={"mediaType": "text/plain", "fileSize": 5},
        download="/download/attachments/102/spec.txt",
    ),  # fmt: skip
    content(
        404,
        "attachment",
        "old.txt",
        container=(104, "page", "Archived", "archived"),
        extensions={"mediaType": "text/plain", "fileSize": 5},
        download="/download/attachments/104/old.txt",
    ),  # fmt: skip
]
OPS_PAGES = [content(600, "page", "Ops home", space="OPS", body="<p>ops</p>")]

ALL = PAGES + BLOGS + FOLDERS + COMMENTS + ATTACHMENTS + OPS_PAGES
V2_SPACES = [
    {"id": "10", "key": "ENG", "name": "Engineering", "type": "global", "status": "current",
     "createdAt": "2022-01-01T00:00:00.000Z", "authorId": "557058:ann",
     "description": {"plain": {"value": "Engineering space", "representation": "plain"}},
     "_links": {"webui": "/spaces/ENG"}},
    {"id": "20", "key": "OPS", "name": "Ops", "type": "global", "status": "current",
     "createdAt": "2022-02-01T00:00:00.000Z", "_links": {"webui": "/spaces/OPS"}},
]  # fmt: skip
V1_SPACES = [
    {"id": 10, "key": "ENG", "name": "Engineering", "type": "global", "status": "current",
     "description": {"plain": {"value": "Engineering space"}}, "_links": {"webui": "/display/ENG"}},
    {"id": 20, "key": "OPS", "name": "Ops", "type": "global", "status": "current", "_links": {"webui": "/display/OPS"}},
]  # fmt: skip


def _ids_in(clause: str) -> set[str]:
    return set(re.findall(r"\d+", clause))


def matches(item: dict, cql: str) -> bool:
    """Just enough CQL for the connector's own queries (see module docstring)."""
    cql = cql.split(" order by ")[0]
    m = re.search(r"type = (\w+)", cql)
    if m and item["type"] != m.group(1):
        return False
    m = re.search(r'space = "([^"]+)"', cql)
    if m and item["space"]["key"] != m.group(1):
        return False
    ancestors = {a["id"] for a in item["ancestors"]}
    m = re.search(r"\(id in \(([\d, ]+)\) or ancestor in \(([\d, ]+)\)\)", cql)
    if m and not (item["id"] in _ids_in(m.group(1)) or ancestors & _ids_in(m.group(2))):
        return False
    m = re.search(r"id not in \(([\d, ]+)\) and ancestor not in \(([\d, ]+)\)", cql)
    if m and (item["id"] in _ids_in(m.group(1)) or ancestors & _ids_in(m.group(2))):
        return False
    m = re.search(r"(?<!\()id in \(([\d, ]+)\)(?! or)", cql)
    if m and item["id"] not in _ids_in(m.group(1)):
        return False
    m = re.search(r"id not in \(([\d, ]+)\)(?! and ancestor)", cql)
    if m and item["id"] in _ids_in(m.group(1)):
        return False
    return True


def install(fake: FakeConfluence, *, cloud: bool, items: list | None = None) -> dict:
    """Serve the site; returns a dict with the recorded ``cql`` list and ``downloads``."""
    items = ALL if items is None else items
    seen: dict = {"cql": [], "expand": [], "downloads": []}

    def search(call):
        cql = call.param("cql")
        if call.param("cqlcontext"):  # a search of the trash (a full sync lists it first): empty
            seen.setdefault("trash", []).append(cql)
            return fake.v1_page([], call, cursor=cloud, max_limit=50)
        seen["cql"].append(cql)
        seen["expand"].append(call.param("expand", ""))
        if "syntax error" in cql:
            return Reply(
                400, {"statusCode": 400, "message": f"Could not parse cql : {cql}", "reason": "Bad Request"}
            )
        found = [i for i in items if matches(i, cql)]
        if "body" not in (call.param("expand") or ""):
            found = [{k: v for k, v in i.items() if k != "body"} for i in found]
        return fake.v1_page(found, call, cursor=cloud, max_limit=50)

    def v1_spaces(call):
        keys = call.param("spaceKey")
        keys = [keys] if isinstance(keys, str) else keys
        found = [s for s in V1_SPACES if not keys or s["key"] in keys]
        return fake.v1_page(found, call)

    def v2_spaces(call):
        keys = call.param("keys")
        found = [s for s in V2_SPACES if not keys or s["key"] in keys.split(",")]
        return fake.v2_page(found, call)

    def children(kind):
        def handler(call):
            cid = call.path.split("/")[-3]
            found = [i for i in items if i["type"] == kind and (i.get("container") or {}).get("id") == cid]
            return fake.v1_page(found, call, cursor=cloud)

        return handler

    def download(body):
        def handler(call):
            seen["downloads"].append(call.path)
            return body

        return handler

    fake.route("/rest/api/content/search", search)
    fake.route("/rest/api/space", v1_spaces)
    fake.route("/api/v2/spaces", v2_spaces)
    for cid in ("100", "101", "102", "103", "200", "600"):
        fake.route(f"/rest/api/content/{cid}/child/attachment", children("attachment"))
        fake.route(f"/rest/api/content/{cid}/child/comment", children("comment"))
    fake.route("/download/attachments/100/notes.txt", download(NOTES))
    fake.route("/download/attachments/102/spec.txt", download(b"spec!"))
    fake.route("/download/attachments/101/diagram.png", download(b"\x89PNG...."))
    return seen
