"""`FileRules` as the attachments app names it (it lives in common, where the case
handlers that give it can reach it without importing this app)."""

from eloket.common.files import JPEG, MESSAGE_FILE_RULES, PDF, PNG, FileRules

__all__ = ["JPEG", "MESSAGE_FILE_RULES", "PDF", "PNG", "FileRules"]
