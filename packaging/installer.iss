; Inno Setup 6 script for MIA Desktop: per-user install, no admin rights.
;
;   iscc /DMyAppVersion=0.1.0 packaging\installer.iss        (from the repository root, after
;                                                              PyInstaller built "dist\MIA Desktop")
;
; The version comes from mia_desktop/__version__.py: the Windows workflow reads it and passes
; /DMyAppVersion. Output: dist\installer\MIA-Desktop-Setup-<version>.exe.
;
; The user's settings (%APPDATA%\MIA Desktop), signal journal and logs (%LOCALAPPDATA%\MIA Desktop)
; live outside {app}; nothing below deletes them, so an uninstall or an upgrade keeps them.
; [UninstallDelete] only names {app}. Passwords stay in the Windows Credential Manager.

#ifndef MyAppVersion
  #error Pass the version: iscc /DMyAppVersion=X.Y.Z packaging\installer.iss
#endif
#ifndef MyAppVersionNumeric
  ; the Windows file-version resource takes numbers only (1.2.3.0); pass it for "1.2.3rc1"
  #define MyAppVersionNumeric MyAppVersion
#endif
#define MyAppName "MIA Desktop"
#define MyAppExeName "MIA Desktop.exe"
#define MyAppPublisher "MIA"
#ifndef MyDistDir
  #define MyDistDir "..\dist\MIA Desktop"
#endif

[Setup]
; The AppId identifies the app to Windows' uninstaller and to upgrades: never change it.
AppId={{2CCAC41C-AD2A-4B9A-89DA-61B30D1D9387}
AppName={#MyAppName}
AppVersion={#MyAppVersion}
AppVerName={#MyAppName} {#MyAppVersion}
AppPublisher={#MyAppPublisher}
VersionInfoVersion={#MyAppVersionNumeric}
; Per-user: no UAC prompt, installs under %LOCALAPPDATA%\Programs like other per-user apps.
PrivilegesRequired=lowest
DefaultDirName={localappdata}\Programs\{#MyAppName}
DefaultGroupName={#MyAppName}
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
; "x64" (not 6.3's "x64compatible") so older Inno Setup 6 releases on build machines accept it.
ArchitecturesAllowed=x64
ArchitecturesInstallIn64BitMode=x64
MinVersion=10.0
OutputDir=..\dist\installer
OutputBaseFilename=MIA-Desktop-Setup-{#MyAppVersion}
SetupIconFile=..\resources\icon.ico
UninstallDisplayIcon={app}\{#MyAppExeName}
UninstallDisplayName={#MyAppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; An upgrade closes a running copy first (files in use cannot be replaced).
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the whole program folder, so files a newer build no longer ships do not linger.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#MyDistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#MyAppName}"; Filename: "{app}\{#MyAppExeName}"
Name: "{group}\{cm:UninstallProgram,{#MyAppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#MyAppName}"; Filename: "{app}\{#MyAppExeName}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#MyAppExeName}"; Description: "{cm:LaunchProgram,{#MyAppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only the program folder (Python byte-code caches and the like). Settings, journal and logs stay.
Type: filesandordirs; Name: "{app}"
