"""Reading strategies: how a model turns the best evidence sentences into a short answer.

    BaseModelReader   models without a chat template (the default Gemma 3 270M): one short
                      few-shot prompt per evidence window, best windows first
    ChatModelReader   instruct models with a chat template: all passages in one prompt

Both yield the model's text as it streams and leave `Reading`s (a draft and the evidence
window it came from) for grounding.py to check. Neither decides what is shown.
"""
from .base_model import BaseModelReader
from .chat_model import ChatModelReader

__all__ = ["BaseModelReader", "ChatModelReader", "reader_for"]


def reader_for(generator, settings):
    """The strategy that fits the model: chat template or plain completion."""
    if generator.uses_chat_template:
        return ChatModelReader(generator, settings)
    return BaseModelReader(generator, settings)
