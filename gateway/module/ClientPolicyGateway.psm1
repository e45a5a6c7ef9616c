# ClientPolicyGateway.psm1 - generated from api/catalogue.ts by `clientpolicy gateway module`; do not edit.
# The clientpolicy-as-code gateway imports this module into each Skype for Business Management Shell session.
# Module version 1.0.0; 92 CsClientPolicy settings.

$script:CpModuleVersion = '1.0.0'

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
        }
    }
}

<#
.SYNOPSIS
The gateway's line protocol: reads one JSON request per line on stdin, runs its lines, answers one JSON line.
.DESCRIPTION
Each request is {id, lines, stopOnError}. Each line runs with ErrorActionPreference Stop; its result is
{ok: true, output: [...]} or {ok: false, error: {id, category, message}} from the error record
(FullyQualifiedErrorId, CategoryInfo.Category, Exception.Message); with stopOnError the later lines are
{ok: false, skipped: true}. The loop ends when stdin closes.
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
        $request = ConvertFrom-Json $text
        $results = New-Object System.Collections.ArrayList
        $failed = $false
        foreach ($line in @($request.lines)) {
            if ($failed -and $request.stopOnError) { [void]$results.Add(@{ ok = $false; skipped = $true }); continue }
            try {
                $output = @(Invoke-Expression $line)
                [void]$results.Add(@{ ok = $true; output = $output })
            } catch {
                $failed = $true
                $err = @{ id = [string]$_.FullyQualifiedErrorId; category = [string]$_.CategoryInfo.Category; message = [string]$_.Exception.Message }
                [void]$results.Add(@{ ok = $false; error = $err })
            }
        }
        $stdout.WriteLine((ConvertTo-Json -Compress -Depth 8 @{ id = $request.id; results = $results }))
    }
}

Export-ModuleMember -Function @('ConvertTo-CpPolicy', 'ConvertTo-CpUser', 'Start-CpShellHost')
