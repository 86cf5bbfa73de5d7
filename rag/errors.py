"""Every error the library raises on purpose, in one tree.

    RagError                     base class: catch this to catch them all
    ├── ConfigError              a setting or argument is invalid
    │   ├── QuestionError        the question is empty, too long or not text
    │   ├── FilterError          a document filter is malformed (a bad date, an empty pattern)
    │   │   └── NoMatchingDocumentsError  the filter leaves no indexed file to search
    │   └── CollectionError      a collection name is invalid, unknown or disagrees with --index
    ├── DocumentsError           the documents folder is missing, empty or unreadable
    ├── ModelError               a model file is missing, unreadable or not a model
    └── IndexStoreError          the saved index can't be used
        ├── IndexCorruptError    files are missing, truncated or inconsistent
        ├── IndexLockedError     another process is writing the index
        └── IndexVersionError    written by a newer, unknown format version

Each message names the bad thing and how to fix it. Finding no answer in the documents is
not an error: it is an `Answer` with `abstained=True`. A single unreadable file is not an
error either: it is skipped and reported in the indexing report.
"""


class RagError(Exception):
    """Base class for every error raised on purpose by `rag`."""


class ConfigError(RagError):
    """A setting or argument is invalid."""


class QuestionError(ConfigError):
    """The question can't be asked as given."""


class FilterError(ConfigError):
    """A question's document filter (sources, since, until) can't be used as given."""


class NoMatchingDocumentsError(FilterError):
    """A question's document filter matches none of the indexed files."""


class CollectionError(ConfigError):
    """A collection can't be opened by that name (collections.py)."""


class DocumentsError(RagError):
    """The documents folder can't be indexed."""


class ModelError(RagError):
    """A model can't be found or loaded."""


class IndexStoreError(RagError):
    """The saved index can't be used."""


class IndexCorruptError(IndexStoreError):
    """Saved index files are missing or inconsistent."""


class IndexLockedError(IndexStoreError):
    """Another process holds the index's write lock."""


class IndexVersionError(IndexStoreError):
    """The index was written by a format version this code does not know."""
