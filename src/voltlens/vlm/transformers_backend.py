"""A local Qwen2.5-VL checkpoint run with transformers (needs the ``train`` extra: torch, transformers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError

__all__ = ["TransformersVLM"]


@dataclass
class TransformersVLM:
    model_path: str
    device: str = "cpu"
    max_new_tokens: int = 2048
    _model: Any = field(default=None, repr=False)
    _processor: Any = field(default=None, repr=False)

    def _load(self) -> None:
        if self._model is not None:
            return
        try:
            import torch
            from transformers import AutoModelForImageTextToText, AutoProcessor
        except ImportError:
            raise DataError(
                self.model_path,
                "the transformers backend needs torch and transformers: pip install 'voltlens[train]'",
            ) from None
        self._processor = AutoProcessor.from_pretrained(self.model_path)
        dtype = torch.float32 if self.device == "cpu" else torch.bfloat16
        self._model = AutoModelForImageTextToText.from_pretrained(self.model_path, dtype=dtype).to(
            self.device
        )
        self._model.eval()

    def chat(self, image: str | Path, question: str, *, system_prompt: str | None = None) -> str:
        """The model's greedy answer to ``question`` about ``image``."""
        import torch
        from PIL import Image

        self._load()
        messages: list[dict[str, Any]] = []
        if system_prompt:
            messages.append({"role": "system", "content": [{"type": "text", "text": system_prompt}]})
        messages.append({"role": "user", "content": [{"type": "image"}, {"type": "text", "text": question}]})
        prompt = self._processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        with Image.open(image) as im:
            pixels = im.convert("RGB")
        inputs = self._processor(text=[prompt], images=[pixels], return_tensors="pt").to(self.device)
        with torch.no_grad():
            out = self._model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
        new = out[:, inputs["input_ids"].shape[1] :]
        return self._processor.batch_decode(new, skip_special_tokens=True)[0]
