"""multicorn2's C module name: _log_to_postgres and check_interrupts, for
wrappers that import them from here instead of multicorn.utils."""

from .utils import _check_interrupts as check_interrupts  # noqa: F401
from .utils import _log_to_postgres  # noqa: F401
