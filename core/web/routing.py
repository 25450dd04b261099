"""URL rules whose URL builders are compiled when first used, not when registered.

Werkzeug compiles two Python functions per rule (building a URL with and without extra
query arguments) the moment the rule is added. Tessera registers about 300 rules (every
admin view's list, details, edit, export and action URLs), most of which never build a
URL in a given process, so compiling the builders up front was a third of a second of
every start-up. Matching is unchanged: the rule's regular expression is still compiled at
registration, so routing errors still surface at start-up.
"""
from __future__ import annotations

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    def _compile_builder(self, append_unknown: bool = True):
        rule = self
        name = "_build_unknown" if append_unknown else "_build"

        def build_on_first_use(_self, **values):
            # Compile the real builder, put it where werkzeug looks for it, then use it. Two
            # threads racing here both compile the same function; either result is right.
            real = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            setattr(rule, name, real)
            return real(**values)
        return build_on_first_use
