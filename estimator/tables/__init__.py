"""CMS files -> typed, validated tables; the only code that reads or writes ``rvu_tables/``."""
