"""Contains all the data models used in inputs/outputs"""

from .appearance import Appearance
from .attempt import Attempt
from .attempt_counts import AttemptCounts
from .attempt_error import AttemptError
from .attempt_request_headers_type_0 import AttemptRequestHeadersType0
from .attempt_rule import AttemptRule
from .breaker_state import BreakerState
from .capability import Capability
from .client_auth_method import ClientAuthMethod
from .client_key_in import ClientKeyIn
from .client_key_out import ClientKeyOut
from .delivery_out import DeliveryOut
from .delivery_status import DeliveryStatus
from .error_detail import ErrorDetail
from .error_out import ErrorOut
from .event_batch_in import EventBatchIn
from .event_batch_out import EventBatchOut
from .event_in import EventIn
from .event_out import EventOut
from .event_result_out import EventResultOut
from .event_type_in import EventTypeIn
from .event_type_in_schema_type_0 import EventTypeInSchemaType0
from .event_type_out import EventTypeOut
from .event_type_out_schema_type_0 import EventTypeOutSchemaType0
from .event_type_patch_in import EventTypePatchIn
from .event_type_patch_in_example_type_0 import EventTypePatchInExampleType0
from .event_type_patch_in_schema_type_0 import EventTypePatchInSchemaType0
from .field_error_out import FieldErrorOut
from .filter_check_in import FilterCheckIn
from .filter_check_out import FilterCheckOut
from .filter_check_out_failed_type_0 import FilterCheckOutFailedType0
from .health_out import HealthOut
from .health_response_200 import HealthResponse200
from .hour_out import HourOut
from .key_status import KeyStatus
from .list_out_client_key_out import ListOutClientKeyOut
from .list_out_client_key_out_data_item import ListOutClientKeyOutDataItem
from .list_out_delivery_out import ListOutDeliveryOut
from .list_out_delivery_out_data_item import ListOutDeliveryOutDataItem
from .list_out_event_type_out import ListOutEventTypeOut
from .list_out_event_type_out_data_item import ListOutEventTypeOutDataItem
from .list_out_event_type_out_data_item_schema_type_0 import (
    ListOutEventTypeOutDataItemSchemaType0,
)
from .list_out_partner_out import ListOutPartnerOut
from .list_out_partner_out_data_item import ListOutPartnerOutDataItem
from .list_out_webhook_out import ListOutWebhookOut
from .list_out_webhook_out_data_item import ListOutWebhookOutDataItem
from .list_out_webhook_out_data_item_filter_type_0 import (
    ListOutWebhookOutDataItemFilterType0,
)
from .list_out_webhook_out_data_item_headers import ListOutWebhookOutDataItemHeaders
from .list_out_webhook_out_data_item_metadata import ListOutWebhookOutDataItemMetadata
from .log_level import LogLevel
from .mode import Mode
from .ordering import Ordering
from .partner_out import PartnerOut
from .period import Period
from .portal_session_in import PortalSessionIn
from .portal_session_out import PortalSessionOut
from .publish_out import PublishOut
from .receiver_auth_type_0 import ReceiverAuthType0
from .receiver_auth_type_0_type import ReceiverAuthType0Type
from .receiver_auth_type_1 import ReceiverAuthType1
from .receiver_auth_type_1_type import ReceiverAuthType1Type
from .receiver_auth_type_2 import ReceiverAuthType2
from .receiver_auth_type_2_type import ReceiverAuthType2Type
from .receiver_auth_type_3 import ReceiverAuthType3
from .receiver_auth_type_3_type import ReceiverAuthType3Type
from .receiver_auth_type_4 import ReceiverAuthType4
from .receiver_auth_type_4_type import ReceiverAuthType4Type
from .recover_in import RecoverIn
from .recover_out import RecoverOut
from .response_times import ResponseTimes
from .retry_out import RetryOut
from .rotate_keys_in import RotateKeysIn
from .rotate_secret_in import RotateSecretIn
from .rotate_secret_out import RotateSecretOut
from .session_out import SessionOut
from .settings_out import SettingsOut
from .settings_patch_in import SettingsPatchIn
from .signature_algorithm import SignatureAlgorithm
from .signature_scheme import SignatureScheme
from .stats_out import StatsOut
from .status_counts import StatusCounts
from .test_in import TestIn
from .test_out import TestOut
from .theme import Theme
from .tls_options import TlsOptions
from .verification_key_out import VerificationKeyOut
from .verification_keys_out import VerificationKeysOut
from .webhook_in import WebhookIn
from .webhook_in_filter_type_0 import WebhookInFilterType0
from .webhook_in_headers_type_0 import WebhookInHeadersType0
from .webhook_in_metadata_type_0 import WebhookInMetadataType0
from .webhook_out import WebhookOut
from .webhook_out_filter_type_0 import WebhookOutFilterType0
from .webhook_out_headers import WebhookOutHeaders
from .webhook_out_metadata import WebhookOutMetadata
from .webhook_patch_in import WebhookPatchIn
from .webhook_patch_in_filter_type_0 import WebhookPatchInFilterType0
from .webhook_patch_in_headers_type_0 import WebhookPatchInHeadersType0
from .webhook_patch_in_metadata_type_0 import WebhookPatchInMetadataType0

__all__ = (
    "Appearance",
    "Attempt",
    "AttemptCounts",
    "AttemptError",
    "AttemptRequestHeadersType0",
    "AttemptRule",
    "BreakerState",
    "Capability",
    "ClientAuthMethod",
    "ClientKeyIn",
    "ClientKeyOut",
    "DeliveryOut",
    "DeliveryStatus",
    "ErrorDetail",
    "ErrorOut",
    "EventBatchIn",
    "EventBatchOut",
    "EventIn",
    "EventOut",
    "EventResultOut",
    "EventTypeIn",
    "EventTypeInSchemaType0",
    "EventTypeOut",
    "EventTypeOutSchemaType0",
    "EventTypePatchIn",
    "EventTypePatchInExampleType0",
    "EventTypePatchInSchemaType0",
    "FieldErrorOut",
    "FilterCheckIn",
    "FilterCheckOut",
    "FilterCheckOutFailedType0",
    "HealthOut",
    "HealthResponse200",
    "HourOut",
    "KeyStatus",
    "ListOutClientKeyOut",
    "ListOutClientKeyOutDataItem",
    "ListOutDeliveryOut",
    "ListOutDeliveryOutDataItem",
    "ListOutEventTypeOut",
    "ListOutEventTypeOutDataItem",
    "ListOutEventTypeOutDataItemSchemaType0",
    "ListOutPartnerOut",
    "ListOutPartnerOutDataItem",
    "ListOutWebhookOut",
    "ListOutWebhookOutDataItem",
    "ListOutWebhookOutDataItemFilterType0",
    "ListOutWebhookOutDataItemHeaders",
    "ListOutWebhookOutDataItemMetadata",
    "LogLevel",
    "Mode",
    "Ordering",
    "PartnerOut",
    "Period",
    "PortalSessionIn",
    "PortalSessionOut",
    "PublishOut",
    "ReceiverAuthType0",
    "ReceiverAuthType0Type",
    "ReceiverAuthType1",
    "ReceiverAuthType1Type",
    "ReceiverAuthType2",
    "ReceiverAuthType2Type",
    "ReceiverAuthType3",
    "ReceiverAuthType3Type",
    "ReceiverAuthType4",
    "ReceiverAuthType4Type",
    "RecoverIn",
    "RecoverOut",
    "ResponseTimes",
    "RetryOut",
    "RotateKeysIn",
    "RotateSecretIn",
    "RotateSecretOut",
    "SessionOut",
    "SettingsOut",
    "SettingsPatchIn",
    "SignatureAlgorithm",
    "SignatureScheme",
    "StatsOut",
    "StatusCounts",
    "TestIn",
    "TestOut",
    "Theme",
    "TlsOptions",
    "VerificationKeyOut",
    "VerificationKeysOut",
    "WebhookIn",
    "WebhookInFilterType0",
    "WebhookInHeadersType0",
    "WebhookInMetadataType0",
    "WebhookOut",
    "WebhookOutFilterType0",
    "WebhookOutHeaders",
    "WebhookOutMetadata",
    "WebhookPatchIn",
    "WebhookPatchInFilterType0",
    "WebhookPatchInHeadersType0",
    "WebhookPatchInMetadataType0",
)
