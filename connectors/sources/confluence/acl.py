"""Who may view a Confluence document, as a flat list of principals: pure functions, no I/O.

Inputs (the listing reads them; docs/confluence.md, "Document-level security"):

* the space's **view grants** (:class:`Grant`): users (stable ids), groups (Cloud ids / Data
  Center names), and whether anonymous users may view (the space grants anonymous view *and*
  the site allows anonymous access);
* the **read restrictions** that apply to the item (:class:`Grant` without ``anonymous``; ``None``
  or empty = no restriction of that item's own; :class:`Unreadable` = could not be read);
* the **members** of the groups these name (flattened: Data Center nested groups included).

Rules (Confluence's, shared/reference/confluence-rest.md §7, and the mock's
``fixtures/confluence/permissions.py``):

1. A user may view an item when they may view its space (a user grant, a group they belong to,
   or anonymous view) AND they satisfy every non-empty read restriction of the item and of
   each of its ancestors (a listed user, or a member of a listed group). Edit restrictions
   never limit viewing. :func:`restriction_chain`: a page or folder has its ancestors' and its
   own; a blog post only its own; comments and attachments take their container's list as is.
2. Without restrictions the list is the space's grants as principals (users, groups,
   ``public:anonymous``): exact, and group memberships stay live (identities carry groups).
3. With restrictions, a flat OR-list cannot express "in group A (space) and in group B
   (restriction)". The representation, sound for the membership snapshot it is computed from:

   a. a **group** principal for every group named by *every* restriction layer, provided the
      group satisfies the space layer by itself (granted the space, anonymous view, or — the
      implied case — every member of it, in the snapshot, may view the space);
   b. a **user** principal for every other user who, in the snapshot, satisfies every layer
      (directly or through groups), i.e. restriction groups expanded to their members;
   c. nothing else: never a principal that any user who may not view the item holds.

   Hence the list grants exactly the users the snapshot says may view (no false negative,
   except rule 5). :attr:`Acl.expanded_groups` names the groups whose membership was used by
   (a)'s implied case or (b): when one of them changes, the item's list must be computed again
   (until then a removed member may keep a user principal — the permission-change pass
   recomputes such items).
4. Fail closed: a restriction layer that could not be read (:class:`Unreadable`), or a list
   that would be empty, gives ``[deny:nobody]`` — invisible to everyone, with
   :attr:`Acl.reason` saying why.
5. At most :data:`MAX_EXPANDED_USERS` user principals come from expansion (b); past that none
   are kept (false negatives for those users, stated in :attr:`Acl.reason`), so one restriction
   to a huge group does not put thousands of principals on every document under it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from connectors.sources.confluence.principals import DENY, PUBLIC, group_principal, user_principal

MAX_EXPANDED_USERS = 1000

Members = Mapping[str, Iterable[str]]


@dataclass(frozen=True, slots=True)
class Grant:
    """Users and groups allowed to view (a space's view grants or one read restriction)."""

    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    anonymous: bool = False  # space grants only

    @classmethod
    def of(cls, users: Iterable[str] = (), groups: Iterable[str] = (), anonymous: bool = False) -> Grant:
        return cls(frozenset(u for u in users if u), frozenset(g for g in groups if g), bool(anonymous))

    def is_empty(self) -> bool:
        return not self.users and not self.groups and not self.anonymous


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A restriction layer that could not be read (rule 4): ``owner`` is the item it belongs to."""

    owner: str
    why: str


Layer = Grant | Unreadable | None


@dataclass(frozen=True, slots=True)
class Acl:
    principals: tuple[str, ...]  # never empty (rule 4)
    expanded_groups: frozenset[str] = field(default_factory=frozenset)
    reason: str | None = None  # why the list is deny, or which users it leaves out

    @property
    def denied(self) -> bool:
        return self.principals == (DENY,)


def restriction_chain(kind: str, own: Layer, ancestors: Sequence[Layer] = ()) -> list[Layer]:
    """The read restrictions that apply to an item of ``kind`` (rule 1), root-most first."""
    if kind in ("page", "folder"):
        return [*ancestors, own]
    if kind == "blogpost":
        return [own]
    raise ValueError(f"{kind}s take their container's access list (rule 1), not a chain of their own")


def space_acl(space: Grant, *, cloud: bool) -> Acl:
    """The list of a space document, and of any item without read restrictions (rule 2)."""
    principals = [user_principal(u) for u in space.users]
    principals += [group_principal(g, cloud=cloud) for g in space.groups]
    if space.anonymous:
        principals.append(PUBLIC)
    return _acl(principals, frozenset(), None, "nobody has the view permission on the space")


def content_acl(
    space: Grant,
    restrictions: Sequence[Layer],
    members: Members,
    *,
    cloud: bool,
    max_expanded_users: int = MAX_EXPANDED_USERS,
) -> Acl:
    """The list of a page, folder or blog post (rules 1–5); comments and attachments reuse
    their container's."""
    layers: list[Grant] = []
    for layer in restrictions:
        if isinstance(layer, Unreadable):
            return Acl(
                (DENY,), reason=f"the read restrictions of {layer.owner} could not be read: {layer.why}"
            )
        if layer is not None and (layer.users or layer.groups):
            layers.append(layer)
    if not layers:
        return space_acl(space, cloud=cloud)
    view = _Snapshot(space, layers, {g: frozenset(m) for g, m in members.items()})
    groups = [g for g in view.common_groups() if view.group_may_view_space(g)]
    covered = set().union(*(view.members(g) for g in groups)) if groups else set()
    users = sorted(u for u in view.candidates() if u not in covered and view.may_view(u))
    reason = None
    if len(users) > max_expanded_users:
        reason = (
            f"{len(users)} users may view it through restriction groups, more than the "
            f"{max_expanded_users} expanded per document: those users are left out"
        )
        users = []
    principals = [group_principal(g, cloud=cloud) for g in groups] + [user_principal(u) for u in users]
    expanded = view.used_groups() if (users or view.implied) else frozenset()
    return _acl(principals, expanded, reason, "no user satisfies every read restriction and the space")


def _acl(
    principals: list[str | None], expanded: frozenset[str], reason: str | None, empty_reason: str
) -> Acl:
    found = tuple(sorted({p for p in principals if p}))
    if not found:
        return Acl((DENY,), expanded, reason or empty_reason)
    return Acl(found, expanded, reason)


class _Snapshot:
    """Rule 3 over one item's layers and a membership snapshot."""

    def __init__(self, space: Grant, layers: list[Grant], members: dict[str, frozenset[str]]):
        self.space = space
        self.layers = layers
        self._members = members
        self.implied: set[str] = set()  # groups let in by rule 3a's implied case

    def members(self, group: str) -> frozenset[str]:
        return self._members.get(group, frozenset())

    def _in(self, user: str, grant: Grant) -> bool:
        return user in grant.users or any(user in self.members(g) for g in grant.groups)

    def may_view_space(self, user: str) -> bool:
        return self.space.anonymous or self._in(user, self.space)

    def may_view(self, user: str) -> bool:
        return self.may_view_space(user) and all(self._in(user, layer) for layer in self.layers)

    def common_groups(self) -> list[str]:
        common = set(self.layers[0].groups)
        for layer in self.layers[1:]:
            common &= layer.groups
        return sorted(common)

    def group_may_view_space(self, group: str) -> bool:
        if self.space.anonymous or group in self.space.groups:
            return True
        if group not in self._members:  # membership unknown: cannot tell, so not by itself
            return False
        if all(self.may_view_space(u) for u in self._members[group]):
            self.implied.add(group)
            return True
        return False

    def candidates(self) -> set[str]:
        found: set[str] = set()
        for layer in self.layers:
            found |= layer.users
            for group in layer.groups:
                found |= self.members(group)
        return found

    def used_groups(self) -> frozenset[str]:
        used = set(self.space.groups) | self.implied
        for layer in self.layers:
            used |= layer.groups
        return frozenset(used)
