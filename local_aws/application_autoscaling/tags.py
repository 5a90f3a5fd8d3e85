"""Application Auto Scaling gaps the serving stack hits: tags on scalable targets."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from local_aws.patching import wrap as _wrap


def _application_autoscaling_tags() -> None:
    """moto's Application Auto Scaling drops tags and lacks ListTagsForResource/TagResource/UntagResource."""
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
    from moto.utilities.tagging_service import TaggingService

    def tagger(backend: ApplicationAutoscalingBackend) -> TaggingService:
        if not hasattr(backend, "kit_tagger"):
            backend.kit_tagger = TaggingService()  # type: ignore[attr-defined]
        return backend.kit_tagger  # type: ignore[attr-defined,no-any-return]

    def make_register(original: Callable[..., Any]) -> Callable[..., Any]:
        def register_scalable_target(self: Any) -> str:
            body: str = original(self)
            tags = self._get_param("Tags") or {}
            if tags:
                arn = json.loads(body)["ScalableTargetARN"]
                tagger(self.applicationautoscaling_backend).tag_resource(
                    arn, TaggingService.convert_dict_to_tags_input(tags)
                )
            return body

        return register_scalable_target

    def list_tags_for_resource(self: Any) -> str:
        arn = self._get_param("ResourceARN")
        return json.dumps(
            {"Tags": tagger(self.applicationautoscaling_backend).get_tag_dict_for_resource(arn)}
        )

    def tag_resource(self: Any) -> str:
        tags = TaggingService.convert_dict_to_tags_input(self._get_param("Tags") or {})
        tagger(self.applicationautoscaling_backend).tag_resource(self._get_param("ResourceARN"), tags)
        return "{}"

    def untag_resource(self: Any) -> str:
        tagger(self.applicationautoscaling_backend).untag_resource_using_names(
            self._get_param("ResourceARN"), self._get_param("TagKeys") or []
        )
        return "{}"

    _wrap(ApplicationAutoScalingResponse, "register_scalable_target", make_register)
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.tag_resource = tag_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.untag_resource = untag_resource  # type: ignore[attr-defined]


def install() -> None:
    """Apply this module's patches."""
    _application_autoscaling_tags()
