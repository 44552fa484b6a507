"""Errors of the graph store."""


class StoreError(Exception):
    """The graph store could not do what was asked."""

    code = "store_error"


class StoreUnavailable(StoreError):
    """The graph store is down or unreachable."""

    code = "store_unavailable"


class ChainConflict(StoreError):
    """Another draw was appended after the same record first: the draw must be made again."""

    code = "chain_conflict"


class ChainForked(StoreError):
    """Two or more stored draws are each the newest: the chain has forked (draws saved by
    a version of the project, or into a store, without the uniqueness constraint on what a
    draw follows). New draws are refused until an operator settles which branch stands."""

    code = "chain_forked"


class DuplicateDraw(StoreError):
    """Another process saved a draw with the same id first."""

    code = "duplicate_draw"
