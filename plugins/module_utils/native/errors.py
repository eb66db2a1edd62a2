# -*- coding: utf-8 -*-
# Copyright: contributors to the zoneweaver.illumos collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the native backend, all in the library's one error family."""

from __future__ import annotations

from ansible_collections.zoneweaver.illumos.plugins.module_utils.errors import ZoneweaverError


class CommandError(ZoneweaverError):
    """An illumos command exited with an unexpected code.

    `command` is already shell-quoted with secrets masked; `stderr` and
    `stdout` are masked too, so the error can go into any result or log.
    """

    def __init__(self, msg, command=None, rc=None, stderr=None, stdout=None, hint=None):
        super().__init__(msg, hint=hint, command=command, rc=rc, stderr=stderr, stdout=stdout)
        self.command = command
        self.rc = rc
        self.stderr = stderr
        self.stdout = stdout


class ParseError(ZoneweaverError):
    """A command's output did not have the documented shape.

    Raised instead of guessing: a misread state would make the resource
    plan the wrong change.
    """

    def __init__(self, msg, tool=None, line=None, hint=None):
        super().__init__(msg, hint=hint, tool=tool, line=line)
        self.tool = tool
        self.line = line


class FileValidationError(ZoneweaverError):
    """New content for a config file was refused by its validator
    (e.g. `ipnat -n -f`); the old file was left untouched."""

    def __init__(self, msg, path=None, command=None, rc=None, stderr=None, hint=None):
        super().__init__(msg, hint=hint, path=path, command=command, rc=rc, stderr=stderr)
        self.path = path
        self.command = command
        self.rc = rc
        self.stderr = stderr
