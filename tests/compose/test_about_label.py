"""/about names the translation models without the engines' storage tags."""

from bot.compose.about import TranslationStatus


def test_label_groups_models_by_engine_and_drops_the_tags() -> None:
    status = TranslationStatus(
        ("Helsinki-NLP/opus-mt-en-nl@ct2-int8-b1", "Helsinki-NLP/opus-mt-nl-en@ct2-int8-b1")
    )
    assert status.label == (
        "Helsinki-NLP/opus-mt-en-nl, Helsinki-NLP/opus-mt-nl-en (CTranslate2 int8)"
    )


def test_label_tells_engines_apart_and_keeps_untagged_ids() -> None:
    status = TranslationStatus(("/models/en-nl@fp32-b4", "my-model@ct2-int8-b1", "opus-mt-nl-en"))
    assert (
        status.label == "/models/en-nl (PyTorch fp32); my-model (CTranslate2 int8); opus-mt-nl-en"
    )


def test_a_tag_inside_a_model_id_is_not_taken_for_one() -> None:
    assert TranslationStatus(("org/model@int8-b1-v2",)).label == "org/model@int8-b1-v2"
