"""User agents as real clients send them, and TLS details as CloudTrail records them."""

from __future__ import annotations

AWS_CLI = (
    "aws-cli/2.22.12 md/awscrt#0.23.4 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.8 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off "
    "md/command#{command}"
)
AWS_CLI_LINUX = (
    "aws-cli/2.22.12 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0-1019-aws md/arch#x86_64 "
    "lang/python#3.12.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe "
    "md/distrib#ubuntu.24 md/prompt#off md/command#{command}"
)
#: aws-cli on Kali Linux: GuardDuty's PenTest:IAMUser/KaliLinux looks for exactly this.
AWS_CLI_KALI = (
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64 exe/x86_64.kali.2024 prompt/off "
    "command/{command}"
)
BOTO3 = (
    "Boto3/1.35.76 md/Botocore#1.35.76 ua/2.0 os/linux#6.1.115-126.197.amzn2023.x86_64 "
    "md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.76"
)
BOTO3_ATTACKER = (
    "Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#5.15.0-113-generic md/arch#x86_64 "
    "lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.144"
)
LAMBDA_BOTO3 = (
    "Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.227-239.884.amzn2.x86_64 "
    "md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 "
    "cfg/retry-mode#legacy Botocore/1.34.145"
)
LAMBDA_NODE = (
    "aws-sdk-js/3.622.0 ua/2.1 os/linux#5.10.227-239.884.amzn2.x86_64 lang/js md/nodejs#20.18.0 "
    "api/s3#3.622.0 exec-env/AWS_Lambda_nodejs20.x"
)
TERRAFORM = (
    "APN/1.0 HashiCorp/1.0 Terraform/1.10.2 (+https://www.terraform.io) "
    "terraform-provider-aws/5.81.0 (+https://registry.terraform.io/providers/hashicorp/aws) "
    "aws-sdk-go-v2/1.32.6 ua/2.1 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64 "
    "api/{api}#1.38.2"
)
SSM_AGENT = "aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) amazon-ssm-agent/3.3.1142.0"
CONSOLE = "AWS Internal"
CONSOLE_S3 = (
    "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750 "
    "Linux/5.10.228-198.884.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.432-b06 java/1.8.0_432 "
    "vendor/Oracle_Corporation cfg/retry-mode/standard]"
)
BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
BROWSER_WIN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
#: A cloud security posture scanner run by a vendor through the audit role.
AUDIT_SCANNER = (
    "Boto3/1.35.60 md/Botocore#1.35.60 ua/2.0 os/linux#5.10.228 md/arch#x86_64 "
    "lang/python#3.11.10 md/pyimpl#CPython cfg/retry-mode#adaptive Botocore/1.35.60 "
    "prowler/4.5.3"
)

TLS_VERSION = "TLSv1.3"
TLS_CIPHER = "TLS_AES_128_GCM_SHA256"
TLS12_CIPHER = "ECDHE-RSA-AES128-GCM-SHA256"
