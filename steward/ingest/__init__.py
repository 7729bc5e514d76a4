"""Files and tables into Steward: readers, typed values, mapping files, loaders.

The service functions are the public face: ``import_mapping`` for a mapping
file, ``import_source`` for one of its sources, ``import_file`` for a one-off
file; each returns ``ImportReport``s listing every ``Problem``. A
``Database`` given to the first two serves the sources read from tables.
"""

from steward.ingest.mapping import Mapping, Source, load_mapping, make_source
from steward.ingest.report import ImportReport, Problem, exit_code
from steward.ingest.service import import_file, import_mapping, import_source
from steward.ingest.tables import Database

__all__ = [
    "Database",
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
