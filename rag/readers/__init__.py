"""Reading strategies: how a model turns the best evidence sentences into a short answer.

    BaseModelReader   models without a chat template (the default Gemma 3 270M): one short
                      few-shot prompt per evidence window, best windows first
    ChatModelReader   instruct models with a chat template: all passages in one prompt
    SpanRankingReader base models, generation.reader "spans" or "generate+spans": the
                      model ranks each window's candidate phrases by log-probability

Both yield the model's text as it streams and leave `Reading`s (a draft and the evidence
window it came from) for grounding.py to check. Neither decides what is shown.
"""
from .base_model import BaseModelReader
from .chat_model import ChatModelReader
from .span_ranking import SpanRankingReader

__all__ = ["BaseModelReader", "ChatModelReader", "SpanRankingReader", "reader_for"]


def reader_for(generator, settings):
    """The strategy that fits the model (chat template or plain completion) and the
    settings' `reader`; ranking spans needs `span_logprobs`, else the model generates."""
    if generator.uses_chat_template:
        return ChatModelReader(generator, settings)
    if settings.reader != "generate" and hasattr(generator, "span_logprobs"):
        return SpanRankingReader(generator, settings, then_generate=settings.reader == "generate+spans")
    return BaseModelReader(generator, settings)
