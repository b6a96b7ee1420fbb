/**
 * How each vendor's error codes are read, shared by the DNS providers and the deploy targets: which
 * mean "the key or its permissions are wrong" (retrying cannot help), which mean "busy, try again",
 * and which point at the clock or at an expired temporary key.
 */
export interface VendorRules {
  vendor: string;
  auth: RegExp;
  retry: RegExp;
  /** The request's timestamp is outside the accepted window: the clock is off. */
  clockSkew: string;
  clockHint: string;
  /** A temporary key the service considers expired: fetch a new one and try again. */
  tokenExpired: string;
}

/** Alibaba Cloud common codes (help.aliyun.com/en/dns/error-code; ram common parameters). */
export const ALIYUN_RULES: VendorRules = {
  vendor: 'Alibaba Cloud',
  auth: /^(InvalidAccessKeyId|SignatureDoesNotMatch|Forbidden|InvalidSecurityToken|MissingSecurityToken|NoPermission|IncorrectDomainUser|InvalidAccessKeySecret|UnauthorizedOperation)/,
  retry: /^(Throttling|ServiceUnavailable|InternalError|UnknownError|SignatureNonceUsed|LastOperationNotFinished)/,
  clockSkew: 'InvalidTimeStamp.Expired',
  clockHint: 'the system clock is off by more than 15 minutes, fix NTP',
  tokenExpired: 'InvalidSecurityToken.Expired',
};

/** Tencent Cloud API 3.0 common codes (default limit 20 requests/s per action). */
export const TENCENT_RULES: VendorRules = {
  vendor: 'Tencent Cloud',
  auth: /^(AuthFailure|UnauthorizedOperation|OperationDenied)/,
  retry: /^(RequestLimitExceeded|InternalError|ResourceUnavailable|FailedOperation\.FrequencyLimit)/,
  clockSkew: 'AuthFailure.SignatureExpire',
  clockHint: 'the system clock is off by more than 5 minutes, fix NTP',
  tokenExpired: 'AuthFailure.TokenFailure',
};
