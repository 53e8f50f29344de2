"""Plugin registries: integrations and kinds of behaviour registered under an id.

Open Forms' `BaseRegistry` pattern: a registry holds plugins by id, refuses an id twice,
answers an unknown id with a clear error, and validates a plugin's options (per
municipality) against the plugin's JSON Schema. Apps register their plugins when Django
loads them (`AppConfig.ready`); the code that uses a plugin knows only the registry.

Every registry is listed in `REGISTRIES` by name, so that a stored setting
(`tenants.PluginSetting`) can find the registry its plugin belongs to.
"""

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import jsonschema
from django.utils.translation import gettext as _

from eloket.common.errors import ApplicationError

# A plugin without options accepts only an empty object.
NO_OPTIONS: dict[str, Any] = {"type": "object", "additionalProperties": False}


class UnknownPlugin(ApplicationError):
    code = "unknown_plugin"


class InvalidOptions(ApplicationError):
    code = "invalid_options"


class Plugin:
    """What every plugin has: an id (set on registering), a name people read, and the
    JSON Schema of its per-municipality options."""

    id: str = ""
    verbose_name: Any = ""
    options_schema: ClassVar[dict[str, Any]] = NO_OPTIONS

    def __str__(self) -> str:
        return str(self.verbose_name or self.id)

    def check_options(self, options: dict[str, Any]) -> None:
        """What a schema cannot say (ApplicationError if the options are refused)."""


class Registry[P: Plugin]:
    def __init__(
        self,
        name: str,
        *,
        description: str = "",
        configurable: bool = False,
        operator_only: bool = False,
    ) -> None:
        self.name = name
        self.description = description
        # Whether municipalities have settings of its plugins (tenants.PluginSetting),
        # and whether only the platform operator may change them.
        self.configurable = configurable
        self.operator_only = operator_only
        self._plugins: dict[str, P] = {}
        REGISTRIES[name] = self

    def register(self, plugin_id: str) -> Callable[[type[P]], type[P]]:
        """Class decorator: `@channels.register("email") class Email(DeliveryChannel)`."""

        def decorate(cls: type[P]) -> type[P]:
            self.add(plugin_id, cls())
            return cls

        return decorate

    def add(self, plugin_id: str, plugin: P) -> P:
        if plugin_id in self._plugins:
            raise ValueError(f"{self.name}: the id {plugin_id!r} is registered twice")
        jsonschema.Draft202012Validator.check_schema(plugin.options_schema)
        plugin.id = plugin_id
        self._plugins[plugin_id] = plugin
        return plugin

    def remove(self, plugin_id: str) -> None:
        """For tests that register a plugin of their own."""
        self._plugins.pop(plugin_id, None)

    def __getitem__(self, plugin_id: str) -> P:
        try:
            return self._plugins[plugin_id]
        except KeyError:
            raise UnknownPlugin(
                _("“%(id)s” is not a known %(registry)s.")
                % {"id": str(plugin_id)[:60], "registry": self.description or self.name}
            ) from None

    def get(self, plugin_id: str) -> P | None:
        return self._plugins.get(plugin_id)

    def __contains__(self, plugin_id: object) -> bool:
        return plugin_id in self._plugins

    def __iter__(self) -> Iterator[P]:
        return iter(self._plugins.values())

    def ids(self) -> list[str]:
        return list(self._plugins)

    def choices(self) -> list[tuple[str, str]]:
        return [(plugin_id, str(plugin)) for plugin_id, plugin in self._plugins.items()]

    def validate_options(self, plugin_id: str, options: Any) -> dict[str, Any]:
        """The options, if they fit the plugin's schema; else InvalidOptions naming the
        first problem and where it is."""
        plugin = self[plugin_id]
        validate_against(plugin.options_schema, options, what=str(plugin))
        plugin.check_options(options)
        return options


def validate_against(schema: dict[str, Any], value: Any, *, what: str) -> Any:
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "-"
        raise InvalidOptions(
            _("The settings of %(what)s are not valid at %(where)s: %(problem)s")
            % {"what": what, "where": where, "problem": error.message[:200]},
            details={"path": where},
        )
    return value


REGISTRIES: dict[str, "Registry[Any]"] = {}
