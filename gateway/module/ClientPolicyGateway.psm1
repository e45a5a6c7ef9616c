# ClientPolicyGateway.psm1 - generated from api/catalogue.ts by `clientpolicy gateway module`; do not edit.
# The clientpolicy-as-code gateway imports this module into each Skype for Business Management Shell session.
# Module version 2.1.0; 92 CsClientPolicy settings.

$script:CpModuleVersion = '2.1.0'

function ConvertFrom-CpBoolean([object]$Value) { if ($null -eq $Value) { return $null }; return [bool]$Value }
function ConvertFrom-CpUInt([object]$Value) { if ($null -eq $Value) { return $null }; return [long]$Value }
function ConvertFrom-CpString([object]$Value) { if ($null -eq $Value) { return $null }; return [string]$Value }
function ConvertFrom-CpTimeSpan([object]$Value) {
    if ($null -eq $Value) { return $null }
    # The invariant ("c") format: hh:mm:ss below a day.
    return ([TimeSpan]$Value).ToString()
}
function ConvertFrom-CpPolicyEntry([object]$Value) {
    if ($null -eq $Value) { return $null }
    $list = @(foreach ($e in $Value) { [ordered]@{ Name = [string]$e.Name; Value = [string]$e.Value } })
    if ($list.Count -eq 0) { return $null }
    # The comma keeps a one-entry list a list.
    return ,$list
}

<#
.SYNOPSIS
Projects CsClientPolicy objects (Get-CsClientPolicy output) to the tenant API's wire form.
#>
function ConvertTo-CpPolicy {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, ValueFromPipeline = $true)] [object]$InputObject)
    process {
        $p = $InputObject
        $o = [ordered]@{}
        $o['Identity'] = [string]$p.Identity
        $o['AddressBookAvailability'] = ConvertFrom-CpString $p.AddressBookAvailability
        $o['AttendantSafeTransfer'] = ConvertFrom-CpBoolean $p.AttendantSafeTransfer
        $o['AutoDiscoveryRetryInterval'] = ConvertFrom-CpTimeSpan $p.AutoDiscoveryRetryInterval
        $o['BlockConversationFromFederatedContacts'] = ConvertFrom-CpBoolean $p.BlockConversationFromFederatedContacts
        $o['CalendarStatePublicationInterval'] = ConvertFrom-CpUInt $p.CalendarStatePublicationInterval
        $o['ConferenceIMIdleTimeout'] = ConvertFrom-CpTimeSpan $p.ConferenceIMIdleTimeout
        $o['CustomizedHelpUrl'] = ConvertFrom-CpString $p.CustomizedHelpUrl
        $o['CustomLinkInErrorMessages'] = ConvertFrom-CpString $p.CustomLinkInErrorMessages
        $o['CustomStateUrl'] = ConvertFrom-CpString $p.CustomStateUrl
        $o['Description'] = ConvertFrom-CpString $p.Description
        $o['DGRefreshInterval'] = ConvertFrom-CpTimeSpan $p.DGRefreshInterval
        $o['DisableCalendarPresence'] = ConvertFrom-CpBoolean $p.DisableCalendarPresence
        $o['DisableContactCardOrganizationTab'] = ConvertFrom-CpBoolean $p.DisableContactCardOrganizationTab
        $o['DisableEmailComparisonCheck'] = ConvertFrom-CpBoolean $p.DisableEmailComparisonCheck
        $o['DisableEmoticons'] = ConvertFrom-CpBoolean $p.DisableEmoticons
        $o['DisableFederatedPromptDisplayName'] = ConvertFrom-CpBoolean $p.DisableFederatedPromptDisplayName
        $o['DisableFeedsTab'] = ConvertFrom-CpBoolean $p.DisableFeedsTab
        $o['DisableFreeBusyInfo'] = ConvertFrom-CpBoolean $p.DisableFreeBusyInfo
        $o['DisableHandsetOnLockedMachine'] = ConvertFrom-CpBoolean $p.DisableHandsetOnLockedMachine
        $o['DisableHtmlIm'] = ConvertFrom-CpBoolean $p.DisableHtmlIm
        $o['DisableICE'] = ConvertFrom-CpBoolean $p.DisableICE
        $o['DisableInkIM'] = ConvertFrom-CpBoolean $p.DisableInkIM
        $o['DisableMeetingSubjectAndLocation'] = ConvertFrom-CpBoolean $p.DisableMeetingSubjectAndLocation
        $o['DisableOneNote12Integration'] = ConvertFrom-CpBoolean $p.DisableOneNote12Integration
        $o['DisableOnlineContextualSearch'] = ConvertFrom-CpBoolean $p.DisableOnlineContextualSearch
        $o['DisablePhonePresence'] = ConvertFrom-CpBoolean $p.DisablePhonePresence
        $o['DisablePICPromptDisplayName'] = ConvertFrom-CpBoolean $p.DisablePICPromptDisplayName
        $o['DisablePoorDeviceWarnings'] = ConvertFrom-CpBoolean $p.DisablePoorDeviceWarnings
        $o['DisablePoorNetworkWarnings'] = ConvertFrom-CpBoolean $p.DisablePoorNetworkWarnings
        $o['DisablePresenceNote'] = ConvertFrom-CpBoolean $p.DisablePresenceNote
        $o['DisableRTFIM'] = ConvertFrom-CpBoolean $p.DisableRTFIM
        $o['DisableSavingIM'] = ConvertFrom-CpBoolean $p.DisableSavingIM
        $o['DisplayPhoto'] = ConvertFrom-CpString $p.DisplayPhoto
        $o['EnableAppearOffline'] = ConvertFrom-CpBoolean $p.EnableAppearOffline
        $o['EnableCallLogAutoArchiving'] = ConvertFrom-CpBoolean $p.EnableCallLogAutoArchiving
        $o['EnableClientAutoPopulateWithTeam'] = ConvertFrom-CpBoolean $p.EnableClientAutoPopulateWithTeam
        $o['EnableClientMusicOnHold'] = ConvertFrom-CpBoolean $p.EnableClientMusicOnHold
        $o['EnableConversationWindowTabs'] = ConvertFrom-CpBoolean $p.EnableConversationWindowTabs
        $o['EnableEnterpriseCustomizedHelp'] = ConvertFrom-CpBoolean $p.EnableEnterpriseCustomizedHelp
        $o['EnableEventLogging'] = ConvertFrom-CpBoolean $p.EnableEventLogging
        $o['EnableExchangeContactsFolder'] = ConvertFrom-CpBoolean $p.EnableExchangeContactsFolder
        $o['EnableExchangeContactSync'] = ConvertFrom-CpBoolean $p.EnableExchangeContactSync
        $o['EnableExchangeDelegateSync'] = ConvertFrom-CpBoolean $p.EnableExchangeDelegateSync
        $o['EnableFullScreenVideo'] = ConvertFrom-CpBoolean $p.EnableFullScreenVideo
        $o['EnableHighPerformanceConferencingAppSharing'] = ConvertFrom-CpBoolean $p.EnableHighPerformanceConferencingAppSharing
        $o['EnableHighPerformanceP2PAppSharing'] = ConvertFrom-CpBoolean $p.EnableHighPerformanceP2PAppSharing
        $o['EnableHotdesking'] = ConvertFrom-CpBoolean $p.EnableHotdesking
        $o['EnableIMAutoArchiving'] = ConvertFrom-CpBoolean $p.EnableIMAutoArchiving
        $o['EnableMediaRedirection'] = ConvertFrom-CpBoolean $p.EnableMediaRedirection
        $o['EnableMeetingEngagement'] = ConvertFrom-CpBoolean $p.EnableMeetingEngagement
        $o['EnableNotificationForNewSubscribers'] = ConvertFrom-CpBoolean $p.EnableNotificationForNewSubscribers
        $o['EnableOnlineFeedback'] = ConvertFrom-CpBoolean $p.EnableOnlineFeedback
        $o['EnableOnlineFeedbackScreenshots'] = ConvertFrom-CpBoolean $p.EnableOnlineFeedbackScreenshots
        $o['EnableServerConversationHistory'] = ConvertFrom-CpBoolean $p.EnableServerConversationHistory
        $o['EnableSkypeUI'] = ConvertFrom-CpBoolean $p.EnableSkypeUI
        $o['EnableSQMData'] = ConvertFrom-CpBoolean $p.EnableSQMData
        $o['EnableTracing'] = ConvertFrom-CpBoolean $p.EnableTracing
        $o['EnableUnencryptedFileTransfer'] = ConvertFrom-CpBoolean $p.EnableUnencryptedFileTransfer
        $o['EnableURL'] = ConvertFrom-CpBoolean $p.EnableURL
        $o['EnableViewBasedSubscriptionMode'] = ConvertFrom-CpBoolean $p.EnableViewBasedSubscriptionMode
        $o['EnableVOIPCallDefault'] = ConvertFrom-CpBoolean $p.EnableVOIPCallDefault
        $o['ExcludedContactFolders'] = ConvertFrom-CpString $p.ExcludedContactFolders
        $o['HelpEnvironment'] = ConvertFrom-CpString $p.HelpEnvironment
        $o['HotdeskingTimeout'] = ConvertFrom-CpTimeSpan $p.HotdeskingTimeout
        $o['IMLatencyErrorThreshold'] = ConvertFrom-CpUInt $p.IMLatencyErrorThreshold
        $o['IMLatencySpinnerDelay'] = ConvertFrom-CpUInt $p.IMLatencySpinnerDelay
        $o['IMWarning'] = ConvertFrom-CpString $p.IMWarning
        $o['MAPIPollInterval'] = ConvertFrom-CpTimeSpan $p.MAPIPollInterval
        $o['MaximumDGsAllowedInContactList'] = ConvertFrom-CpUInt $p.MaximumDGsAllowedInContactList
        $o['MaximumNumberOfContacts'] = ConvertFrom-CpUInt $p.MaximumNumberOfContacts
        $o['MaxPhotoSizeKB'] = ConvertFrom-CpUInt $p.MaxPhotoSizeKB
        $o['MusicOnHoldAudioFile'] = ConvertFrom-CpString $p.MusicOnHoldAudioFile
        $o['P2PAppSharingEncryption'] = ConvertFrom-CpString $p.P2PAppSharingEncryption
        $o['PlayAbbreviatedDialTone'] = ConvertFrom-CpBoolean $p.PlayAbbreviatedDialTone
        $o['PolicyEntry'] = ConvertFrom-CpPolicyEntry $p.PolicyEntry
        $o['PublicationBatchDelay'] = ConvertFrom-CpUInt $p.PublicationBatchDelay
        $o['RateMyCallAllowCustomUserFeedback'] = ConvertFrom-CpBoolean $p.RateMyCallAllowCustomUserFeedback
        $o['RateMyCallDisplayPercentage'] = ConvertFrom-CpUInt $p.RateMyCallDisplayPercentage
        $o['RequireContentPin'] = ConvertFrom-CpString $p.RequireContentPin
        $o['SearchPrefixFlags'] = ConvertFrom-CpUInt $p.SearchPrefixFlags
        $o['ShowManagePrivacyRelationships'] = ConvertFrom-CpBoolean $p.ShowManagePrivacyRelationships
        $o['ShowRecentContacts'] = ConvertFrom-CpBoolean $p.ShowRecentContacts
        $o['ShowSharepointPhotoEditLink'] = ConvertFrom-CpBoolean $p.ShowSharepointPhotoEditLink
        $o['SPSearchCenterExternalURL'] = ConvertFrom-CpString $p.SPSearchCenterExternalURL
        $o['SPSearchCenterInternalURL'] = ConvertFrom-CpString $p.SPSearchCenterInternalURL
        $o['SPSearchExternalURL'] = ConvertFrom-CpString $p.SPSearchExternalURL
        $o['SPSearchInternalURL'] = ConvertFrom-CpString $p.SPSearchInternalURL
        $o['SupportModernFilePicker'] = ConvertFrom-CpBoolean $p.SupportModernFilePicker
        $o['TabURL'] = ConvertFrom-CpString $p.TabURL
        $o['TelemetryTier'] = ConvertFrom-CpString $p.TelemetryTier
        $o['TracingLevel'] = ConvertFrom-CpString $p.TracingLevel
        $o['WebServicePollInterval'] = ConvertFrom-CpTimeSpan $p.WebServicePollInterval
        [pscustomobject]$o
    }
}

<#
.SYNOPSIS
Projects Get-CsUser output to the tenant API's user form.
#>
function ConvertTo-CpUser {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, ValueFromPipeline = $true)] [object]$InputObject)
    process {
        $u = $InputObject
        $policy = $null
        if ($null -ne $u.ClientPolicy) { $policy = [string]$u.ClientPolicy }
        if ($policy -and $policy -like 'Tag:*') { $policy = $policy.Substring(4) }
        $id = [string]$u.Identity
        if ($u.PSObject.Properties['Guid'] -and $null -ne $u.Guid) { $id = [string]$u.Guid }
        [pscustomobject][ordered]@{
            Id = $id
            SipAddress = [string]$u.SipAddress
            UserPrincipalName = [string]$u.UserPrincipalName
            DisplayName = [string]$u.DisplayName
            ClientPolicy = $policy
            RegistrarPool = ConvertFrom-CpString $u.RegistrarPool
        }
    }
}

<#
.SYNOPSIS
Projects Get-CsSite output: the site's identity, id, display name and the FQDNs of its pools.
#>
function ConvertTo-CpSite {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, ValueFromPipeline = $true)] [object]$InputObject)
    process {
        $s = $InputObject
        $pools = @(foreach ($p in @($s.Pools)) { if ($null -ne $p) { [string]$p } })
        [pscustomobject][ordered]@{
            Identity = [string]$s.Identity
            SiteId = ConvertFrom-CpString $s.SiteId
            DisplayName = ConvertFrom-CpString $s.DisplayName
            Pools = $pools
        }
    }
}

<#
.SYNOPSIS
Projects Get-CsPool output: the pool's identity and FQDN and the site it belongs to.
#>
function ConvertTo-CpPool {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, ValueFromPipeline = $true)] [object]$InputObject)
    process {
        $p = $InputObject
        [pscustomobject][ordered]@{
            Identity = [string]$p.Identity
            Fqdn = ConvertFrom-CpString $p.Fqdn
            Site = ConvertFrom-CpString $p.Site
        }
    }
}

# ---- commands as data (api/powershell/table.ts, api/powershell/binder.ts)

$script:CpTable = @(
    @{ Name = 'Get-CsClientPolicy'; Outputs = @('policy'); Required = @(); ExactlyOne = @(); Params = @(
        @{ Name = 'Identity'; Type = 'string'; Nullable = $false }
    ) }
    @{ Name = 'New-CsClientPolicy'; Outputs = @('none'); Required = @('Identity'); ExactlyOne = @(); Params = @(
        @{ Name = 'Identity'; Type = 'string'; Nullable = $false }
        @{ Name = 'AddressBookAvailability'; Type = 'string'; Nullable = $false }
        @{ Name = 'AttendantSafeTransfer'; Type = 'bool'; Nullable = $false }
        @{ Name = 'AutoDiscoveryRetryInterval'; Type = 'timespan'; Nullable = $false }
        @{ Name = 'BlockConversationFromFederatedContacts'; Type = 'bool'; Nullable = $false }
        @{ Name = 'CalendarStatePublicationInterval'; Type = 'uint'; Nullable = $false }
        @{ Name = 'ConferenceIMIdleTimeout'; Type = 'timespan'; Nullable = $false }
        @{ Name = 'CustomizedHelpUrl'; Type = 'string'; Nullable = $false }
        @{ Name = 'CustomLinkInErrorMessages'; Type = 'string'; Nullable = $false }
        @{ Name = 'CustomStateUrl'; Type = 'string'; Nullable = $false }
        @{ Name = 'Description'; Type = 'string'; Nullable = $false }
        @{ Name = 'DGRefreshInterval'; Type = 'timespan'; Nullable = $false }
        @{ Name = 'DisableCalendarPresence'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisableContactCardOrganizationTab'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisableEmailComparisonCheck'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisableEmoticons'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisableFederatedPromptDisplayName'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisableFeedsTab'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisableFreeBusyInfo'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisableHandsetOnLockedMachine'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisableHtmlIm'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisableICE'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisableInkIM'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisableMeetingSubjectAndLocation'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisableOneNote12Integration'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisableOnlineContextualSearch'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisablePhonePresence'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisablePICPromptDisplayName'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisablePoorDeviceWarnings'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisablePoorNetworkWarnings'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisablePresenceNote'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisableRTFIM'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisableSavingIM'; Type = 'bool'; Nullable = $false }
        @{ Name = 'DisplayPhoto'; Type = 'string'; Nullable = $false }
        @{ Name = 'EnableAppearOffline'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableCallLogAutoArchiving'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableClientAutoPopulateWithTeam'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableClientMusicOnHold'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableConversationWindowTabs'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableEnterpriseCustomizedHelp'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableEventLogging'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableExchangeContactsFolder'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableExchangeContactSync'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableExchangeDelegateSync'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableFullScreenVideo'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableHighPerformanceConferencingAppSharing'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableHighPerformanceP2PAppSharing'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableHotdesking'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableIMAutoArchiving'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableMediaRedirection'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableMeetingEngagement'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableNotificationForNewSubscribers'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableOnlineFeedback'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableOnlineFeedbackScreenshots'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableServerConversationHistory'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableSkypeUI'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableSQMData'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableTracing'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableUnencryptedFileTransfer'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableURL'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableViewBasedSubscriptionMode'; Type = 'bool'; Nullable = $false }
        @{ Name = 'EnableVOIPCallDefault'; Type = 'bool'; Nullable = $false }
        @{ Name = 'ExcludedContactFolders'; Type = 'string'; Nullable = $false }
        @{ Name = 'HelpEnvironment'; Type = 'string'; Nullable = $false }
        @{ Name = 'HotdeskingTimeout'; Type = 'timespan'; Nullable = $false }
        @{ Name = 'IMLatencyErrorThreshold'; Type = 'uint'; Nullable = $false }
        @{ Name = 'IMLatencySpinnerDelay'; Type = 'uint'; Nullable = $false }
        @{ Name = 'IMWarning'; Type = 'string'; Nullable = $false }
        @{ Name = 'MAPIPollInterval'; Type = 'timespan'; Nullable = $false }
        @{ Name = 'MaximumDGsAllowedInContactList'; Type = 'uint'; Nullable = $false }
        @{ Name = 'MaximumNumberOfContacts'; Type = 'uint'; Nullable = $false }
        @{ Name = 'MaxPhotoSizeKB'; Type = 'uint'; Nullable = $false }
        @{ Name = 'MusicOnHoldAudioFile'; Type = 'string'; Nullable = $false }
        @{ Name = 'P2PAppSharingEncryption'; Type = 'string'; Nullable = $false }
        @{ Name = 'PlayAbbreviatedDialTone'; Type = 'bool'; Nullable = $false }
        @{ Name = 'PolicyEntry'; Type = 'policyEntries'; Nullable = $false }
        @{ Name = 'PublicationBatchDelay'; Type = 'uint'; Nullable = $false }
        @{ Name = 'RateMyCallAllowCustomUserFeedback'; Type = 'bool'; Nullable = $false }
        @{ Name = 'RateMyCallDisplayPercentage'; Type = 'uint'; Nullable = $false }
        @{ Name = 'RequireContentPin'; Type = 'string'; Nullable = $false }
        @{ Name = 'SearchPrefixFlags'; Type = 'uint'; Nullable = $false }
        @{ Name = 'ShowManagePrivacyRelationships'; Type = 'bool'; Nullable = $false }
        @{ Name = 'ShowRecentContacts'; Type = 'bool'; Nullable = $false }
        @{ Name = 'ShowSharepointPhotoEditLink'; Type = 'bool'; Nullable = $false }
        @{ Name = 'SPSearchCenterExternalURL'; Type = 'string'; Nullable = $false }
        @{ Name = 'SPSearchCenterInternalURL'; Type = 'string'; Nullable = $false }
        @{ Name = 'SPSearchExternalURL'; Type = 'string'; Nullable = $false }
        @{ Name = 'SPSearchInternalURL'; Type = 'string'; Nullable = $false }
        @{ Name = 'SupportModernFilePicker'; Type = 'bool'; Nullable = $false }
        @{ Name = 'TabURL'; Type = 'string'; Nullable = $false }
        @{ Name = 'TelemetryTier'; Type = 'string'; Nullable = $false }
        @{ Name = 'TracingLevel'; Type = 'string'; Nullable = $false }
        @{ Name = 'WebServicePollInterval'; Type = 'timespan'; Nullable = $false }
    ) }
    @{ Name = 'Set-CsClientPolicy'; Outputs = @('none'); Required = @('Identity'); ExactlyOne = @(); Params = @(
        @{ Name = 'Identity'; Type = 'string'; Nullable = $false }
        @{ Name = 'AddressBookAvailability'; Type = 'string'; Nullable = $true }
        @{ Name = 'AttendantSafeTransfer'; Type = 'bool'; Nullable = $true }
        @{ Name = 'AutoDiscoveryRetryInterval'; Type = 'timespan'; Nullable = $true }
        @{ Name = 'BlockConversationFromFederatedContacts'; Type = 'bool'; Nullable = $true }
        @{ Name = 'CalendarStatePublicationInterval'; Type = 'uint'; Nullable = $true }
        @{ Name = 'ConferenceIMIdleTimeout'; Type = 'timespan'; Nullable = $true }
        @{ Name = 'CustomizedHelpUrl'; Type = 'string'; Nullable = $true }
        @{ Name = 'CustomLinkInErrorMessages'; Type = 'string'; Nullable = $true }
        @{ Name = 'CustomStateUrl'; Type = 'string'; Nullable = $true }
        @{ Name = 'Description'; Type = 'string'; Nullable = $true }
        @{ Name = 'DGRefreshInterval'; Type = 'timespan'; Nullable = $true }
        @{ Name = 'DisableCalendarPresence'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisableContactCardOrganizationTab'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisableEmailComparisonCheck'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisableEmoticons'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisableFederatedPromptDisplayName'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisableFeedsTab'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisableFreeBusyInfo'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisableHandsetOnLockedMachine'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisableHtmlIm'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisableICE'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisableInkIM'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisableMeetingSubjectAndLocation'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisableOneNote12Integration'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisableOnlineContextualSearch'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisablePhonePresence'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisablePICPromptDisplayName'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisablePoorDeviceWarnings'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisablePoorNetworkWarnings'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisablePresenceNote'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisableRTFIM'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisableSavingIM'; Type = 'bool'; Nullable = $true }
        @{ Name = 'DisplayPhoto'; Type = 'string'; Nullable = $true }
        @{ Name = 'EnableAppearOffline'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableCallLogAutoArchiving'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableClientAutoPopulateWithTeam'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableClientMusicOnHold'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableConversationWindowTabs'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableEnterpriseCustomizedHelp'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableEventLogging'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableExchangeContactsFolder'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableExchangeContactSync'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableExchangeDelegateSync'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableFullScreenVideo'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableHighPerformanceConferencingAppSharing'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableHighPerformanceP2PAppSharing'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableHotdesking'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableIMAutoArchiving'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableMediaRedirection'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableMeetingEngagement'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableNotificationForNewSubscribers'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableOnlineFeedback'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableOnlineFeedbackScreenshots'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableServerConversationHistory'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableSkypeUI'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableSQMData'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableTracing'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableUnencryptedFileTransfer'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableURL'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableViewBasedSubscriptionMode'; Type = 'bool'; Nullable = $true }
        @{ Name = 'EnableVOIPCallDefault'; Type = 'bool'; Nullable = $true }
        @{ Name = 'ExcludedContactFolders'; Type = 'string'; Nullable = $true }
        @{ Name = 'HelpEnvironment'; Type = 'string'; Nullable = $true }
        @{ Name = 'HotdeskingTimeout'; Type = 'timespan'; Nullable = $true }
        @{ Name = 'IMLatencyErrorThreshold'; Type = 'uint'; Nullable = $true }
        @{ Name = 'IMLatencySpinnerDelay'; Type = 'uint'; Nullable = $true }
        @{ Name = 'IMWarning'; Type = 'string'; Nullable = $true }
        @{ Name = 'MAPIPollInterval'; Type = 'timespan'; Nullable = $true }
        @{ Name = 'MaximumDGsAllowedInContactList'; Type = 'uint'; Nullable = $true }
        @{ Name = 'MaximumNumberOfContacts'; Type = 'uint'; Nullable = $true }
        @{ Name = 'MaxPhotoSizeKB'; Type = 'uint'; Nullable = $true }
        @{ Name = 'MusicOnHoldAudioFile'; Type = 'string'; Nullable = $true }
        @{ Name = 'P2PAppSharingEncryption'; Type = 'string'; Nullable = $true }
        @{ Name = 'PlayAbbreviatedDialTone'; Type = 'bool'; Nullable = $true }
        @{ Name = 'PolicyEntry'; Type = 'policyEntries'; Nullable = $true }
        @{ Name = 'PublicationBatchDelay'; Type = 'uint'; Nullable = $true }
        @{ Name = 'RateMyCallAllowCustomUserFeedback'; Type = 'bool'; Nullable = $true }
        @{ Name = 'RateMyCallDisplayPercentage'; Type = 'uint'; Nullable = $true }
        @{ Name = 'RequireContentPin'; Type = 'string'; Nullable = $true }
        @{ Name = 'SearchPrefixFlags'; Type = 'uint'; Nullable = $true }
        @{ Name = 'ShowManagePrivacyRelationships'; Type = 'bool'; Nullable = $true }
        @{ Name = 'ShowRecentContacts'; Type = 'bool'; Nullable = $true }
        @{ Name = 'ShowSharepointPhotoEditLink'; Type = 'bool'; Nullable = $true }
        @{ Name = 'SPSearchCenterExternalURL'; Type = 'string'; Nullable = $true }
        @{ Name = 'SPSearchCenterInternalURL'; Type = 'string'; Nullable = $true }
        @{ Name = 'SPSearchExternalURL'; Type = 'string'; Nullable = $true }
        @{ Name = 'SPSearchInternalURL'; Type = 'string'; Nullable = $true }
        @{ Name = 'SupportModernFilePicker'; Type = 'bool'; Nullable = $true }
        @{ Name = 'TabURL'; Type = 'string'; Nullable = $true }
        @{ Name = 'TelemetryTier'; Type = 'string'; Nullable = $true }
        @{ Name = 'TracingLevel'; Type = 'string'; Nullable = $true }
        @{ Name = 'WebServicePollInterval'; Type = 'timespan'; Nullable = $true }
    ) }
    @{ Name = 'Remove-CsClientPolicy'; Outputs = @('none'); Required = @('Identity'); ExactlyOne = @(); Params = @(
        @{ Name = 'Identity'; Type = 'string'; Nullable = $false }
        @{ Name = 'Force'; Type = 'switch'; Nullable = $false }
    ) }
    @{ Name = 'Grant-CsClientPolicy'; Outputs = @('none'); Required = @('Identity', 'PolicyName'); ExactlyOne = @(); Params = @(
        @{ Name = 'Identity'; Type = 'string'; Nullable = $false }
        @{ Name = 'PolicyName'; Type = 'string'; Nullable = $true }
    ) }
    @{ Name = 'Get-CsUser'; Outputs = @('user'); Required = @(); ExactlyOne = @('Identity', 'Filter', 'ResultSize'); Params = @(
        @{ Name = 'Identity'; Type = 'string'; Nullable = $false }
        @{ Name = 'Filter'; Type = 'clientPolicyFilter'; Nullable = $false }
        @{ Name = 'ResultSize'; Type = 'string'; Nullable = $false }
    ) }
    @{ Name = 'Get-CsSite'; Outputs = @('site'); Required = @(); ExactlyOne = @(); Params = @(
    ) }
    @{ Name = 'Get-CsPool'; Outputs = @('pool'); Required = @(); ExactlyOne = @(); Params = @(
    ) }
)

$script:CpErrors = @{
    malformed = @{ Id = 'CpMalformedCommand'; Category = 'InvalidArgument'; Message = 'A command is an object with a cmdlet name, params and an output form.' }
    cmdlet = @{ Id = 'CpCommandNotInTable'; Category = 'ObjectNotFound'; Message = 'The gateway module does not run ''{0}''.' }
    output = @{ Id = 'CpOutputNotAllowed,{0}'; Category = 'InvalidArgument'; Message = 'The output of {0} cannot be ''{1}''.' }
    parameter = @{ Id = 'CpParameterNotInTable,{0}'; Category = 'InvalidArgument'; Message = '{0} has no parameter ''{1}'' in the gateway module''s table.' }
    argument = @{ Id = 'CpArgumentType,{0}'; Category = 'InvalidArgument'; Message = '-{1} of {0} takes {2}.' }
    missing = @{ Id = 'CpMissingParameter,{0}'; Category = 'InvalidArgument'; Message = '{0} needs -{1}.' }
    exactlyOne = @{ Id = 'CpParameterSet,{0}'; Category = 'InvalidArgument'; Message = '{0} needs exactly one of -{1}.' }
}
$script:CpTypeDescription = @{
    string = 'a string'
    bool = 'a boolean'
    uint = 'an integer 0-4294967295'
    timespan = 'a TimeSpan hh:mm:ss or d.hh:mm:ss'
    policyEntries = 'a non-empty list of {Name, Value} strings'
    switch = 'no value (a switch)'
    clientPolicyFilter = 'a string (the ClientPolicy to filter on)'
}
$script:CpKindOfType = @{ string = 'string'; bool = 'bool'; uint = 'int'; timespan = 'timespan'; policyEntries = 'policyEntries'; switch = 'switch'; clientPolicyFilter = 'clientPolicyFilter' }
$script:CpTimeSpanPattern = '^(?:([0-9]{1,7})\.)?([01]?[0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])\z'
$script:CpUIntMax = 4294967295
# PowerShell's single-quote characters: ' and U+2018..U+201B (CharTraits.cs IsSingleQuote; language spec 2.3.5.2).
$script:CpSingleQuotes = @(0x0027, 0x2018, 0x2019, 0x201A, 0x201B)

<#
.SYNOPSIS
The one quoting function: a value as a single-quoted literal with every PowerShell single-quote character doubled.
.DESCRIPTION
Inside a single-quoted string PowerShell reads two single-quote characters in a row as the second one, and a lone
one as the end of the string; it treats ' U+2018 U+2019 U+201A U+201B alike. Doubling each keeps the whole value
one string token. The TypeScript twin is quoteFilterLiteral in api/powershell/table.ts.
#>
function ConvertTo-CpQuotedLiteral([string]$Value) {
    $sb = New-Object System.Text.StringBuilder
    [void]$sb.Append([char]0x27)
    foreach ($c in $Value.ToCharArray()) {
        [void]$sb.Append($c)
        if ($script:CpSingleQuotes -contains [int]$c) { [void]$sb.Append($c) }
    }
    [void]$sb.Append([char]0x27)
    return $sb.ToString()
}

function Get-CpTagName([string]$Value) { if ($Value.StartsWith('Tag:', [StringComparison]::OrdinalIgnoreCase)) { return $Value.Substring(4) }; return $Value }

function New-CpError([string]$Which, [object[]]$FormatArgs) {
    $e = $script:CpErrors[$Which]
    return @{ ok = $false; error = @{ id = ($e.Id -f $FormatArgs); category = $e.Category; message = ($e.Message -f $FormatArgs) } }
}

function Test-CpObject([object]$Value) { return ($null -ne $Value) -and ($Value -is [System.Management.Automation.PSCustomObject]) }

function Test-CpKeys([object]$Value, [string[]]$Keys) {
    $names = @($Value.PSObject.Properties | ForEach-Object { $_.Name })
    if ($names.Count -ne $Keys.Count) { return $false }
    foreach ($k in $Keys) { if (-not ($names -ccontains $k)) { return $false } }
    return $true
}

<#
.SYNOPSIS
Converts one JSON argument to its parameter's declared type: @{ ok = $true; value = ... } or an error result.
#>
function ConvertFrom-CpArgument([string]$Cmdlet, [hashtable]$Param, [object]$Arg) {
    $bad = New-CpError 'argument' @($Cmdlet, $Param.Name, ($script:CpTypeDescription[$Param.Type] + $(if ($Param.Nullable) { ' or null' } else { '' })))
    if (-not (Test-CpObject $Arg) -or -not ($Arg.kind -is [string])) { return $bad }
    $kind = [string]$Arg.kind
    if ($kind -ceq 'null') {
        if (-not $Param.Nullable -or -not (Test-CpKeys $Arg @('kind'))) { return $bad }
        return @{ ok = $true; value = $null }
    }
    if ($kind -cne $script:CpKindOfType[$Param.Type]) { return $bad }
    if ($Param.Type -ceq 'switch') { if (Test-CpKeys $Arg @('kind')) { return @{ ok = $true; value = $true } }; return $bad }
    if (-not (Test-CpKeys $Arg @('kind', 'value'))) { return $bad }
    $v = $Arg.value
    switch -CaseSensitive ($Param.Type) {
        'string' { if ($v -is [string]) { return @{ ok = $true; value = [string]$v } }; return $bad }
        'clientPolicyFilter' { if ($v -is [string]) { return @{ ok = $true; value = [string]$v } }; return $bad }
        'bool' { if ($v -is [bool]) { return @{ ok = $true; value = [bool]$v } }; return $bad }
        'uint' {
            if (($v -is [int] -or $v -is [long]) -and $v -ge 0 -and $v -le $script:CpUIntMax) { return @{ ok = $true; value = [long]$v } }
            return $bad
        }
        'timespan' {
            if ($v -is [string] -and [regex]::IsMatch($v, $script:CpTimeSpanPattern)) {
                return @{ ok = $true; value = [TimeSpan]::Parse($v, [System.Globalization.CultureInfo]::InvariantCulture) }
            }
            return $bad
        }
        'policyEntries' {
            $items = @($v)
            if (-not ($v -is [array]) -or $items.Count -eq 0) { return $bad }
            foreach ($e in $items) {
                if (-not (Test-CpObject $e) -or -not (Test-CpKeys $e @('Name', 'Value')) -or -not ($e.Name -is [string]) -or -not ($e.Value -is [string])) { return $bad }
            }
            # @{ Replace = ... }: PSListModifier's Hashtable form that sets the whole list (binder.ts says why).
            $entries = @(foreach ($e in $items) { New-CsClientPolicyEntry -Name ([string]$e.Name) -Value ([string]$e.Value) })
            return @{ ok = $true; value = @{ Replace = $entries } }
        }
    }
    return $bad
}

<#
.SYNOPSIS
Checks one command against the table and converts its values, in the binder's order: shape, cmdlet, output form,
each parameter as given (name, then value), required parameters, parameter sets.
#>
function ConvertFrom-CpCommand([object]$Command) {
    if (-not (Test-CpObject $Command) -or -not ($Command.cmdlet -is [string]) -or -not (Test-CpObject $Command.params) -or -not ($Command.output -is [string])) {
        return New-CpError 'malformed' @()
    }
    $def = $null
    foreach ($c in $script:CpTable) { if ($c.Name -ceq $Command.cmdlet) { $def = $c } }
    if ($null -eq $def) { return New-CpError 'cmdlet' @([string]$Command.cmdlet) }
    if (-not ($def.Outputs -ccontains $Command.output)) { return New-CpError 'output' @($def.Name, [string]$Command.output) }
    $params = @{}
    $given = New-Object System.Collections.Generic.List[string]
    $filter = $null
    foreach ($prop in $Command.params.PSObject.Properties) {
        $param = $null
        foreach ($p in $def.Params) { if ($p.Name -ceq $prop.Name) { $param = $p } }
        if ($null -eq $param) { return New-CpError 'parameter' @($def.Name, [string]$prop.Name) }
        $r = ConvertFrom-CpArgument $def.Name $param $prop.Value
        if (-not $r.ok) { return $r }
        $given.Add($param.Name)
        if ($param.Type -ceq 'clientPolicyFilter') {
            $filter = $r.value
            $params[$param.Name] = 'ClientPolicy -eq ' + (ConvertTo-CpQuotedLiteral $r.value)
        } else {
            $params[$param.Name] = $r.value
        }
    }
    foreach ($name in $def.Required) { if (-not $given.Contains($name)) { return New-CpError 'missing' @($def.Name, $name) } }
    if ($def.ExactlyOne.Count -gt 0) {
        $n = @($def.ExactlyOne | Where-Object { $given.Contains($_) }).Count
        if ($n -ne 1) { return New-CpError 'exactlyOne' @($def.Name, ($def.ExactlyOne -join ' or -')) }
    }
    return @{ ok = $true; def = $def; params = $params; output = [string]$Command.output; filter = $filter }
}

<#
.SYNOPSIS
Runs one bound command by splatting; the command comes from the table, never from the request.
#>
function Invoke-CpCommand([hashtable]$Bound) {
    $cmd = Get-Command -Name $Bound.def.Name -CommandType @('Cmdlet', 'Function') -ErrorAction Stop | Select-Object -First 1
    $params = $Bound.params
    $raw = @(& $cmd @params)
    switch -CaseSensitive ($Bound.output) {
        'policy' { return ,@($raw | ConvertTo-CpPolicy) }
        'site' { return ,@($raw | ConvertTo-CpSite) }
        'pool' { return ,@($raw | ConvertTo-CpPool) }
        'user' {
            $users = @($raw | ConvertTo-CpUser)
            if ($null -ne $Bound.filter) {
                # Keep only exact matches: the filter narrows the search, this decides the answer.
                $want = Get-CpTagName $Bound.filter
                $users = @($users | Where-Object { $null -ne $_.ClientPolicy -and [string]::Equals([string]$_.ClientPolicy, $want, [StringComparison]::OrdinalIgnoreCase) })
            }
            return ,$users
        }
    }
    return ,@()
}

<#
.SYNOPSIS
The gateway's line protocol: reads one JSON request per line on stdin, runs its commands, answers one JSON line.
.DESCRIPTION
Each request is {id, commands, stopOnError}; each command {cmdlet, params, output}. A command the table refuses is
answered with the binder's error record and nothing runs; otherwise it runs with ErrorActionPreference Stop and
its result is {ok: true, output: [...]} or {ok: false, error: {id, category, message}} from the error record
(FullyQualifiedErrorId, CategoryInfo.Category, Exception.Message); with stopOnError the later commands are
{ok: false, skipped: true}. A line that is not JSON is answered with a line outside the protocol, so the gateway
replaces the session. The loop ends when stdin closes.
#>
function Start-CpShellHost {
    [CmdletBinding()]
    param()
    $ErrorActionPreference = 'Stop'
    $utf8 = New-Object System.Text.UTF8Encoding($false)
    [Console]::OutputEncoding = $utf8
    $stdin = New-Object System.IO.StreamReader([Console]::OpenStandardInput(), $utf8)
    $stdout = New-Object System.IO.StreamWriter([Console]::OpenStandardOutput(), $utf8)
    $stdout.AutoFlush = $true
    $stdout.WriteLine((ConvertTo-Json -Compress @{ ready = $true; host = 'powershell'; module = $script:CpModuleVersion }))
    while ($null -ne ($text = $stdin.ReadLine())) {
        try { $request = ConvertFrom-Json $text } catch { $stdout.WriteLine('protocol error: the request is not JSON'); continue }
        $results = New-Object System.Collections.ArrayList
        $failed = $false
        foreach ($command in @($request.commands)) {
            if ($failed -and $request.stopOnError) { [void]$results.Add(@{ ok = $false; skipped = $true }); continue }
            $bound = ConvertFrom-CpCommand $command
            if (-not $bound.ok) { $failed = $true; [void]$results.Add($bound); continue }
            try {
                $output = Invoke-CpCommand $bound
                [void]$results.Add(@{ ok = $true; output = @($output) })
            } catch {
                $failed = $true
                $err = @{ id = [string]$_.FullyQualifiedErrorId; category = [string]$_.CategoryInfo.Category; message = [string]$_.Exception.Message }
                [void]$results.Add(@{ ok = $false; error = $err })
            }
        }
        $stdout.WriteLine((ConvertTo-Json -Compress -Depth 8 @{ id = $request.id; results = $results }))
    }
}

Export-ModuleMember -Function @('ConvertTo-CpPolicy', 'ConvertTo-CpUser', 'ConvertTo-CpSite', 'ConvertTo-CpPool', 'Start-CpShellHost')
