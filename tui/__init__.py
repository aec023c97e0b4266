"""The terminal UI for admins: browse, search and edit the directory."""
