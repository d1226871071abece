"""The pages' sections: each draws one part of a page from what it is given (no page globals), so a page reads
as widgets -> calls -> output."""
