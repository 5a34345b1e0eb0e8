"""Small modal screens: the apply confirmation and the key help."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

__all__ = ["Choice", "ConfirmApply", "HelpScreen"]

Choice = Literal["all", "subset"]


class ConfirmApply(ModalScreen[Choice | None]):
    """`Apply 212 updates and 3 creates to halo-prod?` — all, the chosen subset, or cancel.

    Dismisses with "all", "subset" or None (cancel). Nothing is sent until then.
    """

    DEFAULT_CSS = """
    ConfirmApply { align: center middle; }
    ConfirmApply > Vertical {
        width: 72; max-width: 100%; height: auto; padding: 1 2;
        border: thick $warning; background: $surface;
    }
    ConfirmApply #question { margin-bottom: 1; }
    ConfirmApply Horizontal { height: auto; }
    ConfirmApply Button { margin-right: 1; min-width: 10; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "choose('all')", "Apply all", show=False),
        Binding("s", "choose('subset')", "Apply the subset", show=False),
        Binding("n,escape", "choose('')", "Cancel", show=False),
    ]

    def __init__(self, question: str, subset: str | None) -> None:
        super().__init__()
        self.question = question
        self.subset = subset
        """The subset button's label ("only the 12 marked rows"), None when there is none."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="question", markup=False)
            with Horizontal():
                yield Button("Apply all (y)", id="all", variant="warning")
                if self.subset:
                    yield Button(f"Apply {self.subset} (s)", id="subset", variant="primary")
                yield Button("Cancel (n)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()  # the safe answer is the default

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_choose(event.button.id or "")

    def action_choose(self, choice: str) -> None:
        if choice == "all":
            self.dismiss("all")
        elif choice == "subset" and self.subset:
            self.dismiss("subset")
        elif choice in ("", "cancel"):
            self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """Every key of the screen underneath, with what it does."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Static {
        width: 64; max-width: 100%; height: auto; max-height: 100%; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "app.pop_screen", "Close"),
    ]

    def __init__(self, title: str, keys: Iterable[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.keys = list(keys)

    def compose(self) -> ComposeResult:
        width = max((len(k) for k, _ in self.keys), default=1)
        lines = [self.title_text, ""]
        lines += [f"{key.ljust(width)}  {text}" for key, text in self.keys]
        lines += ["", "escape closes this help."]
        yield Static("\n".join(lines), markup=False)
