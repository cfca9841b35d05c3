//! The string table. Adding a key means adding both languages; the compiler checks.

use serde::{Deserialize, Serialize};

macro_rules! strings {
    ($($key:ident => $en:literal, $zh:literal;)*) => {
        /// A translatable message.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Key { $($key),* }

        impl Key {
            pub const ALL: &'static [Key] = &[$(Key::$key),*];

            pub fn text(self, lang: super::Lang) -> &'static str {
                match lang {
                    super::Lang::En => match self { $(Key::$key => $en),* },
                    super::Lang::Zh => match self { $(Key::$key => $zh),* },
                }
            }
        }
    };
}

strings! {
    AppName => "Rapport", "Rapport 客户关系";
    NavDashboard => "Dashboard", "仪表盘";
    NavCustomers => "Customers", "客户";
    NavUsers => "Users & teams", "用户与团队";
    NavAudit => "Audit log", "审计日志";
    SignIn => "Sign in", "登录";
    SignInTitle => "Sign in to Rapport", "登录 Rapport";
    SignOut => "Sign out", "退出";
    SetupTitle => "Set up Rapport", "初始化 Rapport";
    SetupIntro => "Create the first administrator account. This page closes once it exists.", "创建第一个管理员账户。创建后此页面将关闭。";
    CreateAdmin => "Create administrator", "创建管理员";
    Language => "Language", "语言";
    Email => "E-mail", "电子邮箱";
    Password => "Password", "密码";
    NewPassword => "New password", "新密码";
    Name => "Name", "名称";
    Customers => "Customers", "客户";
    NewCustomer => "New customer", "新建客户";
    EditCustomer => "Edit customer", "编辑客户";
    Search => "Search", "搜索";
    SearchPlaceholder => "Name, e-mail or phone", "名称、邮箱或电话";
    Level => "Level", "级别";
    LevelKey => "Key account (level 1)", "重点客户（一级）";
    LevelStandard => "Standard account (level 2)", "普通客户（二级）";
    LevelKeyShort => "Key (L1)", "重点（一级）";
    LevelStandardShort => "Standard (L2)", "普通（二级）";
    AllLevels => "All levels", "全部级别";
    Grade => "Grade", "等级";
    GradeVip => "VIP", "VIP";
    GradeKey => "Key", "重要";
    GradeGeneral => "General", "一般";
    AllGrades => "All grades", "全部等级";
    Owner => "Owner", "负责人";
    AllOwners => "All owners", "全部负责人";
    Team => "Team", "团队";
    Teams => "Teams", "团队";
    AllTeams => "All teams", "全部团队";
    Tags => "Tags", "标签";
    AllTags => "All tags", "全部标签";
    SortBy => "Sort by", "排序";
    SortName => "Name (A–Z)", "名称（A–Z）";
    SortNewest => "Newest first", "最新创建";
    SortUpdated => "Recently updated", "最近更新";
    ApplyFilters => "Apply", "应用";
    ClearFilters => "Clear", "清除";
    NoCustomers => "No customers match.", "没有匹配的客户。";
    NextPage => "Next page →", "下一页 →";
    FirstPage => "← First page", "← 第一页";
    Phone => "Phone", "电话";
    City => "City", "城市";
    Country => "Country", "国家";
    Province => "Province", "省份";
    Region => "Region", "地区";
    Address => "Address", "地址";
    Industry => "Industry", "行业";
    CompanySize => "Company size", "企业规模";
    Gender => "Gender", "性别";
    BirthYear => "Birth year", "出生年份";
    IncomeBand => "Income band", "收入区间";
    SourceChannel => "Source channel", "来源渠道";
    SourceCampaign => "Source campaign", "来源活动";
    SourceReferrer => "Referred by", "推荐人";
    ExternalId => "External id", "外部编号";
    Kind => "Type", "类型";
    KindPerson => "Person", "个人";
    KindCompany => "Company", "企业";
    ServiceManager => "Service manager", "服务经理";
    Myself => "Myself", "我自己";
    NoneChoice => "None", "无";
    Save => "Save", "保存";
    Cancel => "Cancel", "取消";
    Edit => "Edit", "编辑";
    History => "History", "变更记录";
    Orders => "Orders", "订单数";
    LifetimeValue => "Lifetime value", "累计价值";
    LastOrder => "Last order", "最近订单";
    Profile => "Profile", "档案";
    Contacts => "Contacts", "联系人";
    Primary => "Primary", "主要联系人";
    Title => "Job title", "职务";
    AddContact => "Add contact", "添加联系人";
    Remove => "Remove", "移除";
    CreatedAt => "Created", "创建时间";
    UpdatedAt => "Updated", "更新时间";
    DeleteCustomer => "Delete this customer…", "删除此客户…";
    DeleteWarning => "The customer, its contacts, orders and activities are removed. The audit log keeps a record.", "将删除该客户及其联系人、订单和活动记录。审计日志会保留记录。";
    DeleteConfirm => "Delete permanently", "永久删除";
    Role => "Role", "角色";
    RoleAdmin => "Administrator", "管理员";
    RoleTier1 => "Tier-1 manager", "一级客户经理";
    RoleTier2 => "Tier-2 manager", "二级客户经理";
    RoleSupport => "Support agent", "客服专员";
    RoleViewer => "Viewer", "只读用户";
    Active => "Active", "启用";
    NewUser => "New user", "新建用户";
    CreateUser => "Create user", "创建用户";
    ResetPassword => "Reset password", "重置密码";
    PasswordReset => "Password changed; that user's sessions have ended.", "密码已更改，该用户的所有会话已结束。";
    NewTeam => "New team name", "新团队名称";
    CreateTeam => "Add team", "添加团队";
    Rename => "Rename", "重命名";
    When => "When", "时间";
    Who => "Who", "操作人";
    Record => "Record", "记录";
    Action => "Action", "操作";
    Field => "Field", "字段";
    Before => "Before", "修改前";
    After => "After", "修改后";
    DashboardScoped => "Figures for the customers you look after.", "以下为您负责的客户数据。";
    DashboardAll => "Figures for the whole organisation.", "以下为全公司数据。";
    NotFoundTitle => "Not found", "未找到";
    NotFoundBody => "This page does not exist, or you do not have access to it.", "页面不存在，或您无权访问。";
    BackHome => "Back to the dashboard", "返回仪表盘";
    ErrNotFound => "Not found.", "未找到。";
    ErrUnauthorized => "Please sign in.", "请先登录。";
    ErrForbidden => "Your role does not allow this.", "您的角色无权执行此操作。";
    ErrValidation => "Please correct the highlighted fields.", "请修正标出的字段。";
    ErrConflict => "That value is already in use.", "该值已被使用。";
    ErrTaken => "Already in use.", "已被使用。";
    ErrInvalidCredentials => "Wrong e-mail or password.", "邮箱或密码错误。";
    ErrRateLimited => "Too many attempts. Please wait a moment.", "尝试次数过多，请稍后再试。";
    ErrInternal => "Something went wrong on our side. Please try again.", "服务器出现问题，请重试。";
    ErrTransport => "The request did not reach the server. Check your connection.", "请求未能到达服务器，请检查网络连接。";
    ErrRequired => "Required.", "必填。";
    ErrTooLong => "Too long.", "内容过长。";
    ErrTooMany => "Too many values.", "数量过多。";
    ErrInvalidEmail => "Not a valid e-mail address.", "邮箱地址无效。";
    ErrInvalidPhone => "Not a valid phone number.", "电话号码无效。";
    ErrInvalidYear => "Not a valid year.", "年份无效。";
    ErrInvalidChoice => "Not a valid choice.", "选项无效。";
    ErrPasswordTooShort => "At least 8 characters.", "至少 8 个字符。";
    ErrPasswordTooLong => "At most 256 characters.", "最多 256 个字符。";
    ErrOwnerMustBeTier1 => "A key account is owned by an active tier-1 manager.", "重点客户必须由在职的一级客户经理负责。";
    ErrOwnerMustBeManager => "The owner must be an active account manager.", "负责人必须是在职的客户经理。";
    ErrServiceManagerMustBeTier2 => "The service manager must be another active tier-2 manager.", "服务经理必须是另一位在职的二级客户经理。";
    ErrOutsideYourTeam => "You can only assign within your team.", "只能在本团队内分配。";
    ErrCannotDemoteSelf => "You cannot remove your own administrator access.", "不能取消自己的管理员权限。";
}
