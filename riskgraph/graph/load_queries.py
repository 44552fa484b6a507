"""Cypher of the loader: one create query (new keys) and one upsert query per kind.

New keys take the ``CREATE`` path, as fast as a raw insert (``SET n = map`` is much
faster than ``SET n += map`` on the embedded engine); keys already in the store
take the ``MERGE``/``SET`` path, so a repeated or resumed load converges on one state.
Each batch is one transaction: a node and its relationships land together or not at all.
"""

from __future__ import annotations

_ADDRESS_PHONE_CREATE = """
WITH s, r
FOREACH (_ IN CASE WHEN r.address_key IS NULL THEN [] ELSE [1] END |
  MERGE (a:Address {key: r.address_key}) CREATE (s)-[:LOCATED_AT]->(a))
FOREACH (_ IN CASE WHEN r.phone_key IS NULL THEN [] ELSE [1] END |
  MERGE (p:Phone {key: r.phone_key}) CREATE (s)-[:USES_PHONE]->(p))
"""

SUBJECTS_CREATE = """
UNWIND $rows AS r
CREATE (s:Subject) SET s = r.props, s.uscc = r.uscc
WITH s, r
MERGE (g:Region {name: r.region}) CREATE (s)-[:IN_REGION]->(g)
""" + _ADDRESS_PHONE_CREATE

SUBJECTS_UPSERT = """
UNWIND $rows AS r
MERGE (s:Subject {uscc: r.uscc}) SET s += r.props
WITH s, r
OPTIONAL MATCH (s)-[old:IN_REGION]->(og:Region) WHERE og.name <> r.region
DELETE old
WITH s, r
MERGE (g:Region {name: r.region}) MERGE (s)-[:IN_REGION]->(g)
WITH s, r
OPTIONAL MATCH (s)-[old:LOCATED_AT]->(oa:Address)
WHERE r.set_address AND (r.address_key IS NULL OR oa.key <> r.address_key)
DELETE old
WITH s, r
OPTIONAL MATCH (s)-[old:USES_PHONE]->(op:Phone)
WHERE r.set_phone AND (r.phone_key IS NULL OR op.key <> r.phone_key)
DELETE old
WITH s, r
FOREACH (_ IN CASE WHEN r.set_address AND r.address_key IS NOT NULL THEN [1] ELSE [] END |
  MERGE (a:Address {key: r.address_key}) MERGE (s)-[:LOCATED_AT]->(a))
FOREACH (_ IN CASE WHEN r.set_phone AND r.phone_key IS NOT NULL THEN [1] ELSE [] END |
  MERGE (p:Phone {key: r.phone_key}) MERGE (s)-[:USES_PHONE]->(p))
"""

PERSONS_CREATE = "UNWIND $rows AS r CREATE (p:Person) SET p = r.props, p.key = r.key"
PERSONS_UPSERT = "UNWIND $rows AS r MERGE (p:Person {key: r.key}) SET p += r.props"

# Roles: holder label and relationship type are chosen from these fixed maps.
HOLDER_LABELS = {"person": "Person", "subject": "Subject"}
HOLDER_KEYS = {"person": "key", "subject": "uscc"}
ROLE_TYPES = {"shareholder": "HOLDS", "legal_rep": "LEGAL_REP_OF", "executive": "OFFICER_OF",
              "supervisor": "OFFICER_OF", "branch_of": "BRANCH_OF"}
#: Every (holder kind, relationship type) a role is stored as: the loader writes these
#: (``role_query``), reads their keys back (``EXISTING_KEYS``) and the projection reads
#: them (``role_reads``), so a role that loads is a role that links. A legal
#: representative is a person and a branch's head office a subject (the validator's rules).
ROLE_PATTERNS = (("person", "HOLDS"), ("person", "LEGAL_REP_OF"), ("person", "OFFICER_OF"),
                 ("subject", "HOLDS"), ("subject", "OFFICER_OF"), ("subject", "BRANCH_OF"))


def _role_pattern(rel: str, h: str = "(h)", s: str = "(s)", props: str = "") -> str:
    """The pattern of a stored role between holder ``h`` and subject ``s``, relationship x:
    a branch points at its head office (its holder), every other role at its subject."""
    if rel == "BRANCH_OF":
        return f"{s}-[x:{rel}{props}]->{h}"
    return f"{h}-[x:{rel}{props}]->{s}"


def _role_name(rel: str) -> str:
    """The role of a stored relationship, as a Cypher expression over x."""
    if rel == "OFFICER_OF":
        return "x.role"  # executive or supervisor
    return repr(next(role for role, r in ROLE_TYPES.items() if r == rel))


def role_reads() -> list[tuple[str, str, str, str]]:
    """One (MATCH, holder key, holder kind, role) read per stored kind of role: the MATCH
    binds (s:Subject), the holder h and the relationship x; holder key and role are Cypher
    expressions. One read per kind: a city's roles together pass the 2,097,152 elements
    the embedded engine lets one collect() hold (2.2 million at 880,000 subjects), each
    kind alone does not; labelled patterns read the keys in 13.6 s against 20.1 s for one
    unlabelled pattern per type with a CASE on the label."""
    return [(f"MATCH {_role_pattern(rel, f'(h:{HOLDER_LABELS[holder]})', '(s:Subject)')}",
             f"h.{HOLDER_KEYS[holder]}", holder, _role_name(rel))
            for holder, rel in ROLE_PATTERNS]


def role_query(holder_kind: str, role: str, create: bool) -> str:
    """Return the query of one (holder kind, role) group of role rows: CREATE for new
    roles, MERGE for roles already in the store. Only the columns a file carries are set
    (``pct``, ``since``, ``until``): a later file without them leaves them alone, except
    that a stored ``until`` before the role's (new) ``since`` is removed: the holder left
    and came back, as a current-roles export without the column says."""
    label, key, rel = HOLDER_LABELS[holder_kind], HOLDER_KEYS[holder_kind], ROLE_TYPES[role]
    if (holder_kind, rel) not in ROLE_PATTERNS:
        raise ValueError(f"a {holder_kind} cannot be stored as {role}")
    pattern = _role_pattern(rel, props=" {role: r.role}" if rel == "OFFICER_OF" else "")
    return (
        f"UNWIND $rows AS r MATCH (h:{label} {{{key}: r.holder}}) "
        "MATCH (s:Subject {uscc: r.subject}) "
        f"{'CREATE' if create else 'MERGE'} {pattern} SET x += r.props "
        "SET x.until = CASE WHEN x.until < x.since THEN null ELSE x.until END"
    )


# Events against a subject: (label, key property, relationship from the event to it).
EVENTS = {
    "complaints": ("Complaint", "complaint_id", "AGAINST"),
    "penalties": ("Penalty", "penalty_id", "IMPOSED_ON"),
    "commitments": ("Commitment", "commitment_id", "MADE_BY"),
    "inspections": ("Inspection", "inspection_id", "OF"),
}


def event_create(kind: str) -> str:
    """Return the CREATE query of an event kind."""
    label, key, rel = EVENTS[kind]
    return (
        "UNWIND $rows AS r MATCH (s:Subject {uscc: r.subject}) "
        f"CREATE (e:{label}) SET e = r.props, e.{key} = r.id CREATE (e)-[:{rel}]->(s)"
    )


def event_upsert(kind: str) -> str:
    """Return the MERGE query of an event kind (moves the event if its subject changed)."""
    label, key, rel = EVENTS[kind]
    return (
        "UNWIND $rows AS r MATCH (s:Subject {uscc: r.subject}) "
        f"MERGE (e:{label} {{{key}: r.id}}) SET e += r.props "
        f"WITH e, s OPTIONAL MATCH (e)-[old:{rel}]->(o:Subject) WHERE o.uscc <> s.uscc DELETE old "
        f"WITH e, s MERGE (e)-[:{rel}]->(s)"
    )


def list_entry_query(target_kind: str, create: bool) -> str:
    """Return the query that writes list entries on subjects or on persons."""
    label, key = HOLDER_LABELS[target_kind], HOLDER_KEYS[target_kind]
    head = f"UNWIND $rows AS r MATCH (t:{label} {{{key}: r.target}}) "
    if create:
        return head + "CREATE (e:ListEntry) SET e = r.props, e.id = r.id CREATE (e)-[:LISTS]->(t)"
    return head + "MERGE (e:ListEntry {id: r.id}) SET e += r.props MERGE (e)-[:LISTS]->(t)"


INSPECTORS_UPSERT = """
UNWIND $rows AS r
MERGE (p:Person {key: r.person})
  ON CREATE SET p.name = r.person_name, p.masked_id = r.masked_id
MERGE (i:Inspector {inspector_id: r.id}) SET i += r.props
MERGE (d:Department {name: r.department})
WITH i, p, d
OPTIONAL MATCH (i)-[old:IN_DEPARTMENT]->(od:Department) WHERE od.name <> d.name
DELETE old
WITH i, p, d
OPTIONAL MATCH (i)-[oldp:IS]->(op:Person) WHERE op.key <> p.key
DELETE oldp
WITH i, p, d
MERGE (i)-[:IS]->(p)
MERGE (i)-[:IN_DEPARTMENT]->(d)
"""

ITEMS_UPSERT = """
UNWIND $rows AS r
MERGE (i:Item {item_code: r.id}) SET i += r.props
MERGE (d:Department {name: r.department})
WITH i, d
OPTIONAL MATCH (i)-[old:OF_DEPARTMENT]->(od:Department) WHERE od.name <> d.name
DELETE old
WITH i, d
MERGE (i)-[:OF_DEPARTMENT]->(d)
"""

# Items by code and name: an inspection result may name its item instead of coding it.
ITEM_NAMES = "MATCH (i:Item) RETURN i.item_code, i.name"

# The keys already in the store, read once per kind before its files load: (MATCH, key
# expression) parts, each read as one collect() (``Store.collected``).
EXISTING_KEYS: dict[str, list[tuple[str, str]]] = {
    "subjects": [("MATCH (n:Subject)", "n.uscc")],
    "persons": [("MATCH (n:Person)", "n.key")],
    "complaints": [("MATCH (n:Complaint)", "n.complaint_id")],
    "penalties": [("MATCH (n:Penalty)", "n.penalty_id")],
    "commitments": [("MATCH (n:Commitment)", "n.commitment_id")],
    "inspections": [("MATCH (n:Inspection)", "n.inspection_id")],
    "list_entries": [("MATCH (n:ListEntry)", "n.id")],
    # the loader's role key: subject|holder|role
    "roles": [(match, f"s.uscc + '|' + {holder} + '|' + {role}")
              for match, holder, _, role in role_reads()],
}

COUNTS = """
CALL { MATCH (n) RETURN count(n) AS nodes }
CALL { MATCH ()-[r]->() RETURN count(r) AS relationships }
RETURN nodes, relationships
"""
