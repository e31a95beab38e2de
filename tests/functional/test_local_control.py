"""The emulator's control plane: lifecycle, AWS error wording, blue/green updates, fit-based failures."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from deploy.local.testing import (
    container_log,
    create_config,
    create_model,
    deploy,
    invoke_json,
    lmi_emulator,  # noqa: F401 - pytest fixture
)

PING_FAILURE = "did not pass the ping health check"


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_lifecycle_creating_inservice_deleting(lmi_emulator):
    ctx = lmi_emulator.context()
    sm = ctx.client("sagemaker")
    create_model(ctx, "m")
    create_config(ctx, "c", "m")
    with lmi_emulator.paused():
        sm.create_endpoint(EndpointName="ep", EndpointConfigName="c")
        assert sm.describe_endpoint(EndpointName="ep")["EndpointStatus"] == "Creating"
        assert sm.list_endpoints(StatusEquals="Creating")["Endpoints"][0]["EndpointName"] == "ep"
    sm.get_waiter("endpoint_in_service").wait(EndpointName="ep", WaiterConfig={"Delay": 0.01, "MaxAttempts": 5})
    assert sm.describe_endpoint(EndpointName="ep")["EndpointStatus"] == "InService"
    with lmi_emulator.paused():
        sm.delete_endpoint(EndpointName="ep")
        assert sm.describe_endpoint(EndpointName="ep")["EndpointStatus"] == "Deleting"
    sm.get_waiter("endpoint_deleted").wait(EndpointName="ep", WaiterConfig={"Delay": 0.01, "MaxAttempts": 5})
    assert sm.list_endpoints()["Endpoints"] == []


def test_duplicate_names_are_rejected_like_aws(lmi_emulator):
    ctx = lmi_emulator.context()
    sm = ctx.client("sagemaker")
    deploy(ctx, "dup")
    with pytest.raises(ClientError) as model_exc:
        create_model(ctx, "dup-model")
    with pytest.raises(ClientError) as config_exc:
        create_config(ctx, "dup-config", "dup-model")
    with pytest.raises(ClientError) as endpoint_exc:
        sm.create_endpoint(EndpointName="dup", EndpointConfigName="dup-config")
    arn = "arn:aws:sagemaker:us-east-1:123456789012"
    assert _error(model_exc) == (
        "ValidationException",
        f'Cannot create already existing model "{arn}:model/dup-model".',
    )
    assert (
        _error(config_exc)[1]
        == f'Cannot create already existing endpoint configuration "{arn}:endpoint-config/dup-config".'
    )
    assert _error(endpoint_exc)[1] == f'Cannot create already existing endpoint "{arn}:endpoint/dup".'


def test_missing_resources_and_instance_types(lmi_emulator):
    ctx = lmi_emulator.context()
    sm = ctx.client("sagemaker")
    with pytest.raises(ClientError) as missing:
        sm.describe_endpoint(EndpointName="nope")
    assert _error(missing)[0] == "ValidationException" and "Could not find endpoint" in _error(missing)[1]
    with pytest.raises(ClientError) as no_config:
        sm.create_endpoint(EndpointName="x", EndpointConfigName="nope")
    assert "Could not find endpoint configuration" in _error(no_config)[1]
    with pytest.raises(ClientError) as no_update:
        sm.update_endpoint(EndpointName="nope", EndpointConfigName="nope")
    assert "Could not find endpoint" in _error(no_update)[1]
    create_model(ctx, "m")
    create_config(ctx, "g6e", "m", instance_type="ml.g6e.12xlarge")  # moto 5.2 alone rejects this type
    with pytest.raises(ClientError) as bad_type:
        create_config(ctx, "bad", "m", instance_type="ml.g99.huge")
    assert "ml.g99.huge" in _error(bad_type)[1]


def _served_model(ctx, endpoint: str) -> str:
    return str(invoke_json(ctx, endpoint, {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 3})["model"])


def test_blue_green_update_serves_old_config_until_new_is_healthy(lmi_emulator):
    ctx = lmi_emulator.context()
    sm = ctx.client("sagemaker")
    deploy(ctx, "bg", env={"OPTION_SERVED_MODEL_NAME": "blue"})
    create_model(ctx, "green-model", env={"OPTION_SERVED_MODEL_NAME": "green"})
    create_config(ctx, "green-config", "green-model")
    with lmi_emulator.paused():
        sm.update_endpoint(EndpointName="bg", EndpointConfigName="green-config")
        described = sm.describe_endpoint(EndpointName="bg")
        assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("Updating", "bg-config")
        assert described["PendingDeploymentSummary"]["EndpointConfigName"] == "green-config"
        assert _served_model(ctx, "bg") == "blue"
        with pytest.raises(ClientError) as in_progress:
            sm.update_endpoint(EndpointName="bg", EndpointConfigName="green-config")
        assert "Cannot update in-progress endpoint" in _error(in_progress)[1]
    described = sm.describe_endpoint(EndpointName="bg")
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "green-config")
    assert "FailureReason" not in described and "PendingDeploymentSummary" not in described
    assert _served_model(ctx, "bg") == "green"


def test_failed_update_rolls_back_to_the_old_config(lmi_emulator):
    ctx = lmi_emulator.context()
    sm = ctx.client("sagemaker")
    deploy(
        ctx,
        "rb",
        model_id="meta-llama/Llama-3.1-8B-Instruct",
        instance_type="ml.g5.12xlarge",
        env={"OPTION_MAX_MODEL_LEN": "8192", "OPTION_SERVED_MODEL_NAME": "old"},
    )
    create_model(ctx, "bad-model", model_id="meta-llama/Llama-3.1-8B-Instruct", env={"TENSOR_PARALLEL_DEGREE": "3"})
    create_config(ctx, "bad-config", "bad-model", instance_type="ml.g5.12xlarge")
    sm.update_endpoint(EndpointName="rb", EndpointConfigName="bad-config")
    described = sm.describe_endpoint(EndpointName="rb")
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "rb-config")
    assert PING_FAILURE in described["FailureReason"]
    assert _served_model(ctx, "rb") == "old"
    assert any(
        "Total number of attention heads (32) must be divisible by tensor parallel size (3)" in line
        for line in container_log(ctx, "rb")
    )


def test_model_that_does_not_fit_fails_with_vllm_wording_in_the_log(lmi_emulator):
    ctx = lmi_emulator.context()
    described = deploy(ctx, "big", model_id="meta-llama/Llama-3.1-8B-Instruct", instance_type="ml.g5.2xlarge")
    assert described["EndpointStatus"] == "Failed"
    assert described["FailureReason"] == (
        "The primary container for production variant AllTraffic did not pass the ping health check. "
        "Please check CloudWatch logs for this endpoint."
    )
    log = "\n".join(container_log(ctx, "big"))
    assert "To serve at least one request with the models's max seq len (131072)" in log
    assert "KV cache is needed, which is larger than the available KV cache memory" in log
    stream = ctx.client("logs").describe_log_streams(logGroupName="/aws/sagemaker/Endpoints/big")["logStreams"]
    assert stream[0]["logStreamName"].startswith("AllTraffic/i-")
    with pytest.raises(ClientError) as not_serving:
        invoke_json(ctx, "big", {"inputs": "hi"})
    assert _error(not_serving) == ("ValidationError", "Endpoint big of account 123456789012 not found.")


def test_successful_start_logs_kv_cache_and_concurrency(lmi_emulator):
    ctx = lmi_emulator.context()
    assert deploy(ctx, "ok", env={"OPTION_MAX_MODEL_LEN": "8192"})["EndpointStatus"] == "InService"
    log = "\n".join(container_log(ctx, "ok"))
    assert "djl-inference:0.33.0-lmi15.0.0-cu128" in log
    assert "tensor_parallel_degree: 1" in log
    assert "GPU KV cache size: " in log and "Maximum concurrency for 8,192 tokens per request: " in log


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"OPTION_MAX_NUM_SEQS": "64"}, "Both the DJL max_rolling_batch_size and vLLM max_num_seqs=64"),
        ({"OPTION_TENSOR_PARALLEL_SIZE": "1"}, "Both the DJL tensor_parallel_degree and vLLM tensor_parallel_size"),
        ({"OPTION_DTYPE": "float16"}, "Invalid data type: float16"),
        ({"TENSOR_PARALLEL_DEGREE": "2"}, "GPU devices are not enough to run 2 partitions."),
    ],
)
def test_lmi_settings_the_container_rejects(lmi_emulator, env, expected):
    ctx = lmi_emulator.context()
    assert deploy(ctx, "bad", env=env)["EndpointStatus"] == "Failed"
    assert any(expected in line for line in container_log(ctx, "bad"))


def test_serving_properties_in_the_s3_prefix_win_over_environment(lmi_emulator):
    ctx = lmi_emulator.context()
    s3 = ctx.client("s3")
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(
        Bucket="artifacts",
        Key="qwen/serving.properties",
        Body=b"engine=Python\noption.max_model_len=64\noption.served_model_name=from-props\n",
    )
    described = deploy(
        ctx, "props", model_id=None, s3_prefix="s3://artifacts/qwen/", env={"OPTION_MAX_MODEL_LEN": "8192"}
    )
    assert described["EndpointStatus"] == "InService"
    assert _served_model(ctx, "props") == "from-props"
    assert any("max_seq_len=64" in line for line in container_log(ctx, "props"))
    assert any("no fit check" in line for line in container_log(ctx, "props"))  # no config.json, no model id


def test_add_tags_overwrites_existing_keys_like_aws(lmi_emulator):
    """Re-tagging must not grow the tag list: moto appends duplicates, and its ListTags then pages forever."""
    ctx = lmi_emulator.context()
    sm = ctx.client("sagemaker")
    create_model(ctx, "m")
    arn = sm.describe_model(ModelName="m")["ModelArn"]
    for round_ in range(30):
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "a", "Value": str(round_)}, {"Key": "b", "Value": "x"}])
    listed = sm.list_tags(ResourceArn=arn)
    assert {t["Key"]: t["Value"] for t in listed["Tags"]} == {"a": "29", "b": "x"}
    assert len(listed["Tags"]) == 2 and "NextToken" not in listed
    with pytest.raises(ClientError):
        sm.add_tags(ResourceArn=arn.replace(":model/m", ":model/missing"), Tags=[{"Key": "a", "Value": "1"}])
