"""msc-mine: a screened, auditable evidence table of MSC therapy from PubMed.

The data flows one way: fetch -> parse -> store -> extract -> screen -> export.
Each stage takes plain records (dataclasses) in and gives records out.
"""

__version__ = "0.1.0"
