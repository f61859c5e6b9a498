/* SPDX-License-Identifier: MIT */
/* uds.c - UDS names and response checks. */
#include <errno.h>

#include "uds.h"

struct name {
	uint8_t v;
	const char *s;
};

static const struct name nrcs[] = {
	{ 0x10, "generalReject" },
	{ 0x11, "serviceNotSupported" },
	{ 0x12, "subFunctionNotSupported" },
	{ 0x13, "incorrectMessageLengthOrInvalidFormat" },
	{ 0x14, "responseTooLong" },
	{ 0x21, "busyRepeatRequest" },
	{ 0x22, "conditionsNotCorrect" },
	{ 0x24, "requestSequenceError" },
	{ 0x25, "noResponseFromSubnetComponent" },
	{ 0x26, "failurePreventsExecutionOfRequestedAction" },
	{ 0x31, "requestOutOfRange" },
	{ 0x33, "securityAccessDenied" },
	{ 0x34, "authenticationRequired" },
	{ 0x35, "invalidKey" },
	{ 0x36, "exceededNumberOfAttempts" },
	{ 0x37, "requiredTimeDelayNotExpired" },
	{ 0x70, "uploadDownloadNotAccepted" },
	{ 0x71, "transferDataSuspended" },
	{ 0x72, "generalProgrammingFailure" },
	{ 0x73, "wrongBlockSequenceCounter" },
	{ 0x78, "requestCorrectlyReceivedResponsePending" },
	{ 0x7E, "subFunctionNotSupportedInActiveSession" },
	{ 0x7F, "serviceNotSupportedInActiveSession" },
	{ 0x81, "rpmTooHigh" },
	{ 0x82, "rpmTooLow" },
	{ 0x83, "engineIsRunning" },
	{ 0x84, "engineIsNotRunning" },
	{ 0x85, "engineRunTimeTooLow" },
	{ 0x86, "temperatureTooHigh" },
	{ 0x87, "temperatureTooLow" },
	{ 0x88, "vehicleSpeedTooHigh" },
	{ 0x89, "vehicleSpeedTooLow" },
	{ 0x8A, "throttlePedalTooHigh" },
	{ 0x8B, "throttlePedalTooLow" },
	{ 0x8C, "transmissionRangeNotInNeutral" },
	{ 0x8D, "transmissionRangeNotInGear" },
	{ 0x8F, "brakeSwitchesNotClosed" },
	{ 0x90, "shifterLeverNotInPark" },
	{ 0x91, "torqueConverterClutchLocked" },
	{ 0x92, "voltageTooHigh" },
	{ 0x93, "voltageTooLow" },
	{ 0x94, "resourceTemporarilyNotAvailable" },
};

static const struct name sids[] = {
	{ 0x10, "DiagnosticSessionControl" },
	{ 0x11, "ECUReset" },
	{ 0x14, "ClearDiagnosticInformation" },
	{ 0x19, "ReadDTCInformation" },
	{ 0x22, "ReadDataByIdentifier" },
	{ 0x23, "ReadMemoryByAddress" },
	{ 0x24, "ReadScalingDataByIdentifier" },
	{ 0x27, "SecurityAccess" },
	{ 0x28, "CommunicationControl" },
	{ 0x29, "Authentication" },
	{ 0x2A, "ReadDataByPeriodicIdentifier" },
	{ 0x2C, "DynamicallyDefineDataIdentifier" },
	{ 0x2E, "WriteDataByIdentifier" },
	{ 0x2F, "InputOutputControlByIdentifier" },
	{ 0x31, "RoutineControl" },
	{ 0x34, "RequestDownload" },
	{ 0x35, "RequestUpload" },
	{ 0x36, "TransferData" },
	{ 0x37, "RequestTransferExit" },
	{ 0x38, "RequestFileTransfer" },
	{ 0x3D, "WriteMemoryByAddress" },
	{ 0x3E, "TesterPresent" },
	{ 0x83, "AccessTimingParameter" },
	{ 0x84, "SecuredDataTransmission" },
	{ 0x85, "ControlDTCSetting" },
	{ 0x86, "ResponseOnEvent" },
	{ 0x87, "LinkControl" },
};

static const char *find(const struct name *t, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].v == v)
			return t[i].s;
	return NULL;
}

const char *uds_nrc_name(uint8_t nrc)
{
	const char *s = find(nrcs, sizeof(nrcs) / sizeof(nrcs[0]), nrc);

	if (s)
		return s;
	/* ISO 14229-1 table A.1: F0-FE are the manufacturer's */
	return nrc >= 0xF0 && nrc <= 0xFE ? "vehicleManufacturerSpecific"
					   : "reserved";
}

const char *uds_sid_name(uint8_t sid)
{
	const char *s = find(sids, sizeof(sids) / sizeof(sids[0]), sid);

	if (!s && sid >= UDS_POSITIVE_OFFSET)
		s = find(sids, sizeof(sids) / sizeof(sids[0]),
			 (uint8_t)(sid - UDS_POSITIVE_OFFSET));
	return s;
}

int uds_has_subfunction(uint8_t sid)
{
	switch (sid) {
	case 0x10: case 0x11: case 0x19: case 0x27: case 0x28: case 0x29:
	case 0x2C: case 0x31: case 0x3E: case 0x83: case 0x85: case 0x86:
	case 0x87:
		return 1;
	default:
		return 0;
	}
}

int uds_check_response(const uint8_t *req, size_t reqlen, const uint8_t *rsp,
		       size_t rsplen)
{
	if (!reqlen || !rsplen)
		return -EBADMSG;
	if (rsp[0] == UDS_NEGATIVE_RESPONSE) {
		if (rsplen < 3)
			return -EBADMSG;
		if (rsp[1] != req[0])
			return -EPROTO;
		/* 0x00-0x0F are not negative response codes */
		return rsp[2] >= 0x10 ? rsp[2] : -EBADMSG;
	}
	if (rsp[0] != (uint8_t)(req[0] + UDS_POSITIVE_OFFSET))
		return -EPROTO;
	if (uds_has_subfunction(req[0]) && reqlen >= 2) {
		if (rsplen < 2)
			return -EBADMSG;
		/* the echo leaves out the suppress bit */
		if ((rsp[1] & 0x7F) != (req[1] & 0x7F))
			return -EILSEQ;
	}
	return 0;
}
