"""Dialogs: typed ``ModalScreen[T]`` that return their answer on dismiss."""
