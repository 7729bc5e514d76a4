"""Files into Steward: readers, typed values, mapping files, loaders.

The service functions are the public face: ``import_mapping`` for a mapping
file, ``import_source`` for one of its sources, ``import_file`` for a one-off
file; each returns ``ImportReport``s listing every ``Problem``.
"""

from steward.ingest.mapping import Mapping, Source, load_mapping, make_source
from steward.ingest.report import ImportReport, Problem, exit_code
from steward.ingest.service import import_file, import_mapping, import_source

__all__ = [
    "ImportReport",
    "Mapping",
    "Problem",
    "Source",
    "exit_code",
    "import_file",
    "import_mapping",
    "import_source",
    "load_mapping",
    "make_source",
]
