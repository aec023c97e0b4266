"""The ``contacts`` command: a front end of the service for people at a terminal and for scripts."""
